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
import { addDeltas, defineMigration, type StageUnit } from '../src/migrator/migration.ts'
import type { StepMarks } from '../src/pipeline/finalization.ts'
import type { DB } from '../src/db/schema/0008-KG.ts'
import { MARK } from '../src/markers.ts'
import { removeScanRuns, rerunScanner } from '../src/pipeline/scanner.ts'
import { ratifyKg, unratifyKg } from '../src/pipeline/finalization.ts'

/** KG ratification, rows marked by `marks`: what T5 repeats on production. */
export function kgRatification<S extends DB>(marks: StepMarks): StageUnit<S> {
  return {
    expect: () => ({ topic_active: 1, topic_candidate: -1, event_log: 2 }),
    async up({ db, note }) {
      note(await ratifyKg(db, marks))
    },
    async down({ db }) {
      await unratifyKg(db, marks)
    },
  }
}

const unit = kgRatification<DB>({ stage: 'KG', createdBy: MARK.cloneSeed })

export default defineMigration<DB>({
  id: 'KG',
  title: 'KG ratification: kg-domain-x candidate to active, lifecycle rehearsed rollback-only',
  tier: 'clone',
  expect: (s) => addDeltas(unit.expect(s), { scan_run: 1 }),

  async up(context) {
    await unit.up(context)
    context.note(await rerunScanner(context.db, 'KG'))
  },

  async down(context) {
    await removeScanRuns(context.db, MARK.ruleset, 'KG')
    await unit.down(context)
  },
})
