/**
 * Tier T1 — production ownership seed (production-tier; runs only with ospa ≥ 1).
 *
 * Stage A, as the production seed: one anchor per (containment group, scope), marked
 * PROD_F6_SEED_RATIFIED (distinct from the clone's). Gap 210 → 0.
 *
 * Stop-gates: nothing is owned yet; the gap is every pair.
 * Expected: own +30, gap −210 (scale N: +30N, −210N).
 * Down removes exactly the rows marked PROD_F6_SEED_RATIFIED.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0101-T1.ts'
import { MARK } from '../src/markers.ts'
import { ownershipSeed } from './0001-A-ownership-seed.ts'
import { metricEquals } from '../src/pipeline/gates.ts'

const unit = ownershipSeed<DB>(MARK.productionSeed)

export default defineMigration<DB>({
  id: 'T1',
  title: 'production ownership seed (as A): gap 210 → 0',
  tier: 'production',
  ratificationProposal: 'APR-BOOT-AUTHMODEL-1',
  gates: [metricEquals('own', () => 0, 'nothing owned yet'), metricEquals('gap', (s) => s.collections * s.scopes, 'the gap is every pair')],
  expect: unit.expect,
  // A's coverage checks: they only read, so production verify runs them after T1.
  verify: (context) => unit.verify?.(context) ?? Promise.resolve([]),

  up: (context) => unit.up(context),
  down: (context) => unit.down(context),
})
