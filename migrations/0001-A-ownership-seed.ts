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
import { MARK } from '../src/markers.ts'

export default defineMigration({
  id: 'A',
  title: 'ownership seed: one owner per containment group and scope',
  tier: 'clone',
  expect: (s) => ({ own: s.groups * s.scopes, gap: -s.collections * s.scopes }),

  async up({ db }) {
    await db
      .insertInto('governance_object_ownership')
      .columns(['object_kind', 'object_code', 'scope_code', 'owner_ref', 'created_by'])
      .expression(
        db
          .selectFrom('governance_group as g')
          .crossJoin('governance_scope as s')
          .select((eb) => [
            eb.cast<string>(eb.val('group'), 'text').as('object_kind'),
            'g.group_code',
            's.scope_code',
            eb.fn<string>('concat_ws', [eb.cast(eb.val(':'), 'text'), eb.cast(eb.val('owner'), 'text'), 'g.group_code', 's.scope_code']).as('owner_ref'),
            eb.cast<string>(eb.val(MARK.cloneSeed), 'text').as('created_by'),
          ]),
      )
      .execute()
  },

  async down({ db }) {
    await db.deleteFrom('governance_object_ownership').where('created_by', '=', MARK.cloneSeed).execute()
  },
})
