import { narrow, type DB, type On } from '../db/schema.ts'

/** The scanner's read half: how the (collection, scope) pairs are covered. */
export interface Coverage {
  /** Every (collection, scope) pair: 35N × 6. */
  pairs: number
  /** Pairs with an owner, direct or inherited. */
  covered: number
  /** Owner rows at group level (the anchors). */
  directAnchors: number
  /** Pairs covered through the owner of the collection's group. */
  inherited: number
  /** covered / pairs, as a percentage with two decimals. */
  percent: string
}

/** Reads coverage; writes nothing. */
export async function readCoverage<S extends DB>(trx: On<S>): Promise<Coverage> {
  const db = narrow<DB, S>(trx)
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('governance_collection_inventory')
        .crossJoin('governance_scope')
        .select(eb.fn.countAll<number>().as('n'))
        .as('pairs'),
      eb.selectFrom('v_object_owner_gap').select(eb.fn.countAll<number>().as('n')).as('gap'),
      eb
        .selectFrom('governance_object_ownership')
        .where('object_kind', '=', 'group')
        .select(eb.fn.countAll<number>().as('n'))
        .as('direct'),
      eb
        .selectFrom('governance_collection_containment as c')
        .innerJoin('governance_object_ownership as o', (join) =>
          join.onRef('o.object_code', '=', 'c.group_code').on('o.object_kind', '=', 'group'),
        )
        .select(eb.fn.countAll<number>().as('n'))
        .as('inherited'),
    ])
    .executeTakeFirstOrThrow()
  const pairs = Number(row.pairs)
  const covered = pairs - Number(row.gap)
  return {
    pairs,
    covered,
    directAnchors: Number(row.direct),
    inherited: Number(row.inherited),
    percent: pairs === 0 ? '0.00' : ((covered * 100) / pairs).toFixed(2),
  }
}
