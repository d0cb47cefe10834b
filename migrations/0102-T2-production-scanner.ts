/**
 * Tier T2 — production scanner ruleset and first scan (production-tier; ospa ≥ 1).
 *
 * Stage C's unit for production, with one scan (`scans` = 1: no re-run): ruleset RS-PROD-1
 * capped at the configured `scanner.maxCandidates` (enforced by the database, as on the clone),
 * and the first scan run: one candidate state per anchored group, one candidate object per
 * collection; rows marked PROD_F6_SEED_RATIFIED.
 *
 * Stop-gates: the seed is in (gap 0); no ruleset yet.
 * Expected: ruleset +1, scan_run +1, cand_state +5, cand_object +35 (scale N: +5N, +35N).
 * Down removes the run, its candidates, the ruleset and the cap's triggers.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0102-T2.ts'
import { MARK } from '../src/markers.ts'
import { metricEquals } from '../src/pipeline/gates.ts'
import { scannerWriteHalf } from './0003-C-scanner-write-half.ts'

const unit = scannerWriteHalf<DB>({ ruleset: MARK.productionRuleset, runPrefix: MARK.productionScanRunPrefix, triggeredBy: 'T2', createdBy: MARK.productionSeed }, 1)

export default defineMigration<DB>({
  id: 'T2',
  title: 'production scanner: ruleset and first scan (as C)',
  tier: 'production',
  ratificationProposal: 'APR-BOOT-AUTHMODEL-1',
  gates: [metricEquals('gap', () => 0, 'the seed is in (gap 0)'), metricEquals('ruleset', () => 0, 'no ruleset yet')],
  expect: unit.expect,
  // C's reads (the cap's triggers) run on production too; its try on clones.
  verify: (context) => unit.verify?.(context) ?? Promise.resolve([]),
  tries: (context) => unit.tries?.(context) ?? Promise.resolve([]),

  up: (context) => unit.up(context),
  down: (context) => unit.down(context),
})
