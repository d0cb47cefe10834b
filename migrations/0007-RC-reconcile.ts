/**
 * Stage RC — reconcile (clone, finalization).
 *
 * A facet-orthogonality decision register: each divergent label/topic mapping found by
 * v_drift_finding gets a decision that the application's tag and the registry are
 * orthogonal facets, and the drift view becomes facet-aware. The one registry without a
 * projection (governance_registry) gets v_registry_governance. One event per resolved
 * finding is logged (never emitted); the scanner is re-run (idempotent).
 *
 * Expected: axis_tables +1, decisions +4, divergent −4, projection_gap −1, drift_open −5,
 * event_log +5, scan_run +1.
 * Number it introduces: decisions (rows of axis_facet_decision; 0 before it).
 * Down restores the substrate drift view and removes everything above.
 */
import { addDeltas, defineMigration, stageMetric, type StageUnit } from '../src/migrator/migration.ts'
import type { StepMarks } from '../src/pipeline/finalization.ts'
import type { DB } from '../src/db/schema/0007-RC.ts'
import { MARK } from '../src/markers.ts'
import { removeScanRuns, rerunScanner } from '../src/pipeline/scanner.ts'
import { reconcile, unreconcile } from '../src/pipeline/finalization.ts'

/** Reconcile, rows marked by `marks`: what T5 repeats on production. */
export function reconcileUnit<S extends DB>(marks: StepMarks): StageUnit<S> {
  return {
    metrics: [stageMetric<DB>('decisions', 'axis_facet_decision', 'select count(*) from axis_facet_decision')],
    expect: () => ({ axis_tables: 1, decisions: 4, divergent: -4, projection_gap: -1, drift_open: -5, event_log: 5 }),
    async up({ db, note }) {
      note(await reconcile(db, marks))
    },
    async down({ db }) {
      await unreconcile(db, marks)
    },
  }
}

const unit = reconcileUnit<DB>({ stage: 'RC', createdBy: MARK.cloneSeed })

export default defineMigration<DB>({
  id: 'RC',
  title: 'reconcile: facet-orthogonality decisions, facet-aware drift, registry projection',
  tier: 'clone',
  metrics: unit.metrics,
  expect: (s) => addDeltas(unit.expect(s), { scan_run: 1 }),

  async up(context) {
    await unit.up(context)
    context.note(await rerunScanner(context.db, 'RC'))
  },

  async down(context) {
    await removeScanRuns(context.db, MARK.ruleset, 'RC')
    await unit.down(context)
  },
})
