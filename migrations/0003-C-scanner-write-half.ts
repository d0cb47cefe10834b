/**
 * Stage C — scanner write-half (clone).
 *
 * Ruleset RS-CLONE-TEST-1 (hard cap: max_candidates, the configured `scanner.maxCandidates`), then scan runs 1 and 2: the
 * first finds one candidate state per anchored group and one candidate object per
 * collection; the second is an idempotent re-run that finds nothing new.
 *
 * Expected: ruleset +1, scan_run +2, cand_state +5, cand_object +35 (scale N: +5N, +35N).
 * Down removes the marked runs, candidates and ruleset.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0003-C.ts'
import { MARK } from '../src/markers.ts'
import { removeScanRuns, scan } from '../src/pipeline/scanner.ts'
import { GovMigrateError } from '../src/errors.ts'

export default defineMigration<DB>({
  id: 'C',
  title: 'scanner write-half: ruleset, two scan runs, bounded candidates',
  tier: 'clone',
  expect: (s) => ({ ruleset: 1, scan_run: 2, cand_state: s.groups, cand_object: s.collections }),

  async up({ db, note, limits }) {
    await db
      .insertInto('governance_ruleset')
      .values({ ruleset_version: MARK.ruleset, max_candidates: limits.maxCandidates, created_by: MARK.cloneSeed })
      .execute()
    const options = { ruleset: MARK.ruleset, runPrefix: MARK.scanRunPrefix, triggeredBy: 'C' }
    const first = await scan(db, options)
    const rerun = await scan(db, options)
    note(`${first.runId}: ${first.newStates} states, ${first.newObjects} objects; ${rerun.runId}: ${rerun.newStates + rerun.newObjects} new (idempotent)`)
    if (rerun.newStates + rerun.newObjects !== 0) {
      throw new GovMigrateError(`the re-run ${rerun.runId} found new candidates`, 'the scanner must be idempotent; fix src/pipeline/scanner.ts')
    }
  },

  async down({ db }) {
    await removeScanRuns(db, MARK.ruleset, 'C')
    await db.deleteFrom('governance_ruleset').where('ruleset_version', '=', MARK.ruleset).execute()
  },
})
