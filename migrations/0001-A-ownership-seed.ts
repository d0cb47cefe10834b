/**
 * Stage A — ownership seed (clone).
 *
 * One anchor per (containment group, scope): 5 groups × 6 scopes = 30 group-level
 * owners. Every collection inherits its group's owner, so the gap closes: 210 → 0.
 *
 * Expected: own +30, gap −210 (at scale N: own +30N, gap −210N).
 * Down removes exactly the rows marked CLONE_TEST_F6_SEED.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0001-A.ts'
import { MARK } from '../src/markers.ts'
import { removeGroupAnchors, seedGroupAnchors } from '../src/pipeline/ownership.ts'
import { readCoverage } from '../src/pipeline/coverage.ts'
import { check } from '../src/verify/checks.ts'

export default defineMigration<DB>({
  id: 'A',
  title: 'ownership seed: one owner per containment group and scope',
  tier: 'clone',
  expect: (s) => ({ own: s.groups * s.scopes, gap: -s.collections * s.scopes }),

  async verify({ db, shape }) {
    const coverage = await readCoverage(db)
    return [
      check('coverage %', '100.00', coverage.percent),
      check('coverage direct anchors', shape.groups * shape.scopes, coverage.directAnchors),
      check('coverage inherited pairs', shape.collections * shape.scopes, coverage.inherited),
    ]
  },

  async up({ db }) {
    await seedGroupAnchors(db, MARK.cloneSeed)
  },

  async down({ db }) {
    await removeGroupAnchors(db, MARK.cloneSeed)
  },
})
