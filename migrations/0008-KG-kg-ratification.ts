/**
 * Stage KG — KG ratification (clone, finalization).
 *
 * The held candidate topic kg-domain-x (kg_provisional) becomes active (kg_ratified),
 * parented to registry-kg and projected. Its lifecycle (deprecate, merge, split) is
 * rehearsed inside a savepoint and rolled back: proven possible, never kept. Two events
 * (ratified, projected) are logged; the scanner is re-run (idempotent).
 *
 * Expected: topic_active +1, topic_candidate −1, event_log +2, scan_run +1.
 * Down returns kg-domain-x to its held candidate state.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0008-KG.ts'
import { MARK } from '../src/markers.ts'
import { removeScanRuns, rerunScanner } from '../src/pipeline/scanner.ts'
import { ratifyKg, unratifyKg } from '../src/pipeline/finalization.ts'

const marks = { stage: 'KG', createdBy: MARK.cloneSeed }

export default defineMigration<DB>({
  id: 'KG',
  title: 'KG ratification: kg-domain-x candidate to active, lifecycle rehearsed rollback-only',
  tier: 'clone',
  expect: () => ({ topic_active: 1, topic_candidate: -1, event_log: 2, scan_run: 1 }),

  async up({ db, note }) {
    note(await ratifyKg(db, marks))
    note(await rerunScanner(db, 'KG'))
  },

  async down({ db }) {
    await removeScanRuns(db, MARK.ruleset, 'KG')
    await unratifyKg(db, marks)
  },
})
