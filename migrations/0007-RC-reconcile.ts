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
 * Down restores the substrate drift view and removes everything above.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0007-RC.ts'
import { MARK } from '../src/markers.ts'
import { removeScanRuns, rerunScanner } from '../src/pipeline/scanner.ts'
import { reconcile, unreconcile } from '../src/pipeline/finalization.ts'

const marks = { stage: 'RC', createdBy: MARK.cloneSeed }

export default defineMigration<DB>({
  id: 'RC',
  title: 'reconcile: facet-orthogonality decisions, facet-aware drift, registry projection',
  tier: 'clone',
  expect: () => ({ axis_tables: 1, decisions: 4, divergent: -4, projection_gap: -1, drift_open: -5, event_log: 5, scan_run: 1 }),

  async up({ db, note }) {
    note(await reconcile(db, marks))
    note(await rerunScanner(db, 'RC'))
  },

  async down({ db }) {
    await removeScanRuns(db, MARK.ruleset, 'RC')
    await unreconcile(db, marks)
  },
})
