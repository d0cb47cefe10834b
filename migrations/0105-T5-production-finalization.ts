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
import { combineUnits, defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0105-T5.ts'
import { MARK } from '../src/markers.ts'
import { metricEquals } from '../src/pipeline/gates.ts'
import { reconcileUnit } from './0007-RC-reconcile.ts'
import { kgRatification } from './0008-KG-kg-ratification.ts'
import { containmentActivation } from './0009-CN-containment-activation.ts'
import { projectionLagTiming } from './0010-LT-projection-lag-timing.ts'

const marks = { stage: 'T5', createdBy: MARK.productionSeed }

/** The four clone stages' units in their order, reverted in reverse. */
const unit = combineUnits<DB>(reconcileUnit(marks), kgRatification(marks), containmentActivation(marks), projectionLagTiming(marks))

export default defineMigration<DB>({
  id: 'T5',
  title: 'production finalization: reconcile, KG ratification, containment, lag detector',
  tier: 'production',
  ratificationProposal: 'APR-BOOT-AUTHMODEL-1',
  gates: [
    metricEquals('axis_tables', () => 6, 'the substrate is in (T4)'),
    metricEquals('drift_critical', () => 0, 'no critical drift'),
  ],
  metrics: unit.metrics,
  expect: unit.expect,
  // The four units' checks: those that read run on production too; CN's fail-closed try only on clones.
  ...(unit.verify ? { verify: unit.verify } : {}),
  ...(unit.tries ? { tries: unit.tries } : {}),

  up: (context) => unit.up(context),
  down: (context) => unit.down(context),
})
