/**
 * Tier T5 — production finalization (production-tier; ospa ≥ 1).
 *
 * Stages RC, KG, CN and LT for production, in that order, rows marked PROD_F6_SEED_RATIFIED
 * and events (logged, never emitted) marked T5: reconcile, KG ratification, containment
 * activation, the projection-lag detector.
 *
 * Stop-gates: the substrate is in (6 axis tables, 41 open findings, 0 critical).
 * Expected (scale 1): axis_tables +1, decisions +4, divergent −4, projection_gap −1,
 * topic_active +1, topic_candidate −1, rule_missing −1, containment_required +35,
 * containment_assign +35, axis_own +35, lag_placeholder −6, lag_real +9, drift_open −3,
 * event_log +18.
 * Down undoes the four steps in reverse.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0105-T5.ts'
import { MARK } from '../src/markers.ts'
import {
  activateContainment,
  deactivateContainment,
  LAGGING_PER_35,
  ratifyKg,
  reconcile,
  timeProjectionLag,
  unratifyKg,
  unreconcile,
  untimeProjectionLag,
} from '../src/pipeline/finalization.ts'
import { metricEquals } from '../src/pipeline/gates.ts'

const marks = { stage: 'T5', createdBy: MARK.productionSeed }

export default defineMigration<DB>({
  id: 'T5',
  title: 'production finalization: reconcile, KG ratification, containment, lag detector',
  tier: 'production',
  gates: [
    metricEquals('axis_tables', () => 6, 'the substrate is in (T4)'),
    metricEquals('drift_critical', () => 0, 'no critical drift'),
  ],
  expect: (s) => {
    const lagging = (s.collections / 35) * LAGGING_PER_35
    return {
      axis_tables: 1,
      decisions: 4,
      divergent: -4,
      projection_gap: -1,
      topic_active: 1,
      topic_candidate: -1,
      rule_missing: -1,
      containment_required: s.collections,
      containment_assign: s.collections,
      axis_own: s.collections,
      lag_placeholder: -6,
      lag_real: lagging,
      drift_open: -5 - 1 + lagging - 6,
      event_log: 5 + 2 + s.groups + 6,
    }
  },

  async up({ db, note }) {
    note(await reconcile(db, marks))
    note(await ratifyKg(db, marks))
    note(await activateContainment(db, marks))
    note(await timeProjectionLag(db, marks))
  },

  async down({ db }) {
    await untimeProjectionLag(db, marks)
    await deactivateContainment(db, marks)
    await unratifyKg(db, marks)
    await unreconcile(db, marks)
  },
})
