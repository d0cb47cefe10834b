import { narrow, type DB, type On } from '../db/schema.ts'

/**
 * The ownership seed: one anchor per (containment group, scope), marked `createdBy`.
 * Every collection inherits its group's owner, so the gap closes.
 */
export async function seedGroupAnchors<S extends DB>(trx: On<S>, createdBy: string): Promise<void> {
  const db = narrow<DB, S>(trx)
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
          eb.cast<string>(eb.val(createdBy), 'text').as('created_by'),
        ]),
    )
    .execute()
}

/** Removes exactly the anchors marked `createdBy`. */
export async function removeGroupAnchors<S extends DB>(trx: On<S>, createdBy: string): Promise<void> {
  const db = narrow<DB, S>(trx)
  await db.deleteFrom('governance_object_ownership').where('created_by', '=', createdBy).execute()
}
