/**
 * Tier T2 — production scanner ruleset and first scan (production-tier; ospa ≥ 1).
 *
 * Stage C for production: ruleset RS-PROD-1 with its hard cap, and the first scan run:
 * one candidate state per anchored group, one candidate object per collection.
 *
 * Stop-gates: the seed is in (gap 0); no ruleset yet.
 * Expected: ruleset +1, scan_run +1, cand_state +5, cand_object +35 (scale N: +5N, +35N).
 * Down removes the run, its candidates and the ruleset.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0102-T2.ts'
import { MARK } from '../src/markers.ts'
import { removeScanRuns, scan } from '../src/pipeline/scanner.ts'
import { metricEquals } from '../src/pipeline/gates.ts'

export default defineMigration<DB>({
  id: 'T2',
  title: 'production scanner: ruleset and first scan (as C)',
  tier: 'production',
  ratificationProposal: 'APR-BOOT-AUTHMODEL-1',
  gates: [metricEquals('gap', () => 0, 'the seed is in (gap 0)'), metricEquals('ruleset', () => 0, 'no ruleset yet')],
  expect: (s) => ({ ruleset: 1, scan_run: 1, cand_state: s.groups, cand_object: s.collections }),

  async up({ db, note }) {
    await db.insertInto('governance_ruleset').values({ ruleset_version: MARK.productionRuleset, max_candidates: 1000, created_by: MARK.productionSeed }).execute()
    const first = await scan(db, { ruleset: MARK.productionRuleset, runPrefix: MARK.productionScanRunPrefix, triggeredBy: 'T2', createdBy: MARK.productionSeed })
    note(`${first.runId}: ${first.newStates} states, ${first.newObjects} objects`)
  },

  async down({ db }) {
    await removeScanRuns(db, MARK.productionRuleset, 'T2')
    await db.deleteFrom('governance_ruleset').where('ruleset_version', '=', MARK.productionRuleset).execute()
  },
})
