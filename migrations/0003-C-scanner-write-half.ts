/**
 * Stage C — scanner write-half (clone).
 *
 * Ruleset RS-CLONE-TEST-1 with its hard cap, max_candidates = the configured
 * `scanner.maxCandidates`, which the database itself enforces: a statement that would leave a
 * ruleset holding more candidates than that is refused (constraint governance_candidate_cap).
 * Then scan runs 1 and 2: the first finds one candidate state per anchored group and one
 * candidate object per collection; the second is an idempotent re-run that finds nothing new.
 *
 * The unit (`scannerWriteHalf`) is what T2 repeats on production. Its one parameter is where
 * the two differ: `scans`, the number of scan runs (C: 2, the second a re-run that must find
 * nothing new; T2: 1).
 *
 * Expected: ruleset +1, scan_run +2, cand_state +5, cand_object +35 (scale N: +5N, +35N).
 * Down removes the marked runs, candidates and ruleset, and the cap's triggers.
 */
import { sql } from 'kysely'
import { defineMigration, type StageUnit } from '../src/migrator/migration.ts'
import { rejects, triggerEnabled } from '../src/verify/checks.ts'
import type { DB } from '../src/db/schema/0003-C.ts'
import { narrow } from '../src/db/schema.ts'
import { MARK } from '../src/markers.ts'
import { CANDIDATE_CAP, createCandidateCap, dropCandidateCap, removeScanRuns, scan } from '../src/pipeline/scanner.ts'
import { GovMigrateError } from '../src/errors.ts'

/** The marks of the scanner's rows: its ruleset, its runs' names, the stage that triggers them, created_by. */
export interface ScannerMarks {
  ruleset: string
  runPrefix: string
  triggeredBy: string
  createdBy: string
}

/**
 * The ruleset (capped at `limits.maxCandidates`, by the database), then `scans` scan runs: the
 * first finds the candidates, every further one is an idempotent re-run that must find nothing.
 */
export function scannerWriteHalf<S extends DB>(marks: ScannerMarks, scans: number): StageUnit<S> {
  return {
    expect: (s) => ({ ruleset: 1, scan_run: scans, cand_state: s.groups, cand_object: s.collections }),
    // Read (production too): the cap's triggers are in place on both candidate tables and the ruleset.
    async verify({ db }) {
      return [
        await triggerEnabled(db, `${CANDIDATE_CAP}_insert`, 'governance_candidate_state'),
        await triggerEnabled(db, `${CANDIDATE_CAP}_insert`, 'governance_candidate_object'),
        await triggerEnabled(db, `${CANDIDATE_CAP}_update`, 'governance_ruleset'),
      ]
    },
    // The database refuses a ruleset over its cap: lowering the cap under what it holds is one way
    // to try (clones only).
    async tries({ db }) {
      return [
        await rejects(db, 'ruleset over its candidate cap', '23514',
          sql`update governance_ruleset set max_candidates = 1 where ruleset_version = ${marks.ruleset}`),
      ]
    },
    async up({ db: trx, note, limits }) {
      const db = narrow<DB, S>(trx)
      await db
        .insertInto('governance_ruleset')
        .values({ ruleset_version: marks.ruleset, max_candidates: limits.maxCandidates, created_by: marks.createdBy })
        .execute()
      await createCandidateCap(db)
      for (let n = 1; n <= scans; n += 1) {
        const run = await scan(db, marks)
        const found = run.newStates + run.newObjects
        if (n === 1) note(`${run.runId}: ${run.newStates} states, ${run.newObjects} objects (cap ${limits.maxCandidates})`)
        else if (found === 0) note(`${run.runId}: 0 new (idempotent)`)
        else throw new GovMigrateError(`the re-run ${run.runId} found ${found} new candidates`, 'the scanner must be idempotent; fix src/pipeline/scanner.ts')
      }
    },
    async down({ db: trx }) {
      const db = narrow<DB, S>(trx)
      await removeScanRuns(db, marks.ruleset, marks.triggeredBy)
      await db.deleteFrom('governance_ruleset').where('ruleset_version', '=', marks.ruleset).execute()
      await dropCandidateCap(db)
    },
  }
}

const unit = scannerWriteHalf<DB>({ ruleset: MARK.ruleset, runPrefix: MARK.scanRunPrefix, triggeredBy: 'C', createdBy: MARK.cloneSeed }, 2)

export default defineMigration<DB>({
  id: 'C',
  title: 'scanner write-half: ruleset, two scan runs, bounded candidates',
  tier: 'clone',
  expect: unit.expect,

  verify: (context) => unit.verify?.(context) ?? Promise.resolve([]),
  tries: (context) => unit.tries?.(context) ?? Promise.resolve([]),

  up: (context) => unit.up(context),
  down: (context) => unit.down(context),
})
