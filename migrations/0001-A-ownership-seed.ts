/**
 * Stage A — ownership seed (clone).
 *
 * One anchor per (containment group, scope): 5 groups × 6 scopes = 30 group-level
 * owners. Every collection inherits its group's owner, so the gap closes: 210 → 0.
 *
 * Expected: own +30, gap −210 (at scale N: own +30N, gap −210N).
 * Down removes exactly the rows marked CLONE_TEST_F6_SEED.
 */
import { defineMigration, type StageUnit } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0001-A.ts'
import { MARK } from '../src/markers.ts'
import { removeGroupAnchors, seedGroupAnchors } from '../src/pipeline/ownership.ts'
import { readCoverage } from '../src/pipeline/coverage.ts'
import { check } from '../src/verify/checks.ts'

/** The seed, marked `createdBy`: what T1 repeats on production with its own mark. */
export function ownershipSeed<S extends DB>(createdBy: string): StageUnit<S> {
  return {
    expect: (s) => ({ own: s.groups * s.scopes, gap: -s.collections * s.scopes }),
    // Coverage read back (reading only, so T1 runs it on production too).
    async verify({ db, shape }) {
      const coverage = await readCoverage(db)
      return [
        check('coverage %', '100.00', coverage.percent),
        check('coverage direct anchors', shape.groups * shape.scopes, coverage.directAnchors),
        check('coverage inherited pairs', shape.collections * shape.scopes, coverage.inherited),
      ]
    },
    async up({ db }) {
      await seedGroupAnchors(db, createdBy)
    },
    async down({ db }) {
      await removeGroupAnchors(db, createdBy)
    },
  }
}

const unit = ownershipSeed<DB>(MARK.cloneSeed)

export default defineMigration<DB>({
  id: 'A',
  title: 'ownership seed: one owner per containment group and scope',
  tier: 'clone',
  expect: unit.expect,
  verify: (context) => unit.verify?.(context) ?? Promise.resolve([]),

  up: (context) => unit.up(context),
  down: (context) => unit.down(context),
})
