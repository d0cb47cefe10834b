/**
 * Stage B — scanner read (clone).
 *
 * The coverage read of the scanner: every (collection, scope) pair must be covered,
 * directly or through its group's anchor (30 direct anchors + 210 inherited pairs,
 * 100.00 %). It writes nothing; a coverage below 100 % stops the pipeline here.
 *
 * Expected: no change.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0002-B.ts'
import { readCoverage } from '../src/pipeline/coverage.ts'
import { GovMigrateError } from '../src/errors.ts'

export default defineMigration<DB>({
  id: 'B',
  title: 'scanner read: coverage of every (collection, scope) pair',
  tier: 'clone',
  expect: () => ({}),

  async up({ db, note }) {
    const coverage = await readCoverage(db)
    note(`coverage ${coverage.percent} % (${coverage.directAnchors} direct anchors + ${coverage.inherited} inherited pairs)`)
    if (coverage.covered !== coverage.pairs) {
      throw new GovMigrateError(
        `coverage is ${coverage.percent} %: ${coverage.pairs - coverage.covered} pairs have no owner`,
        'apply the ownership seed (stage A) first',
      )
    }
  },

  async down() {
    // Nothing was written.
  },
})
