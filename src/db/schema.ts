/**
 * The schema every track starts from (the stand-in before any stage), which is all the tool's
 * own code outside the stages may assume. Each stage is typed against its own generated file in
 * `schema/` (the schema it runs on); see src/db/schema-files.ts.
 */
export type { DB } from './schema/0000-baseline.ts'

import type { Kysely, Transaction } from 'kysely'

/** A connection or transaction on schema `S` (a union, so TypeScript infers `S` from either). */
export type On<S> = Kysely<S> | Transaction<S>

/**
 * `db` seen through an earlier schema `Sub` that its own schema `DB` contains (every table of
 * `Sub`, with the same row types): how a later stage calls a step written against an earlier one.
 * The constraint `DB extends Sub` is the check; the cast only forgets the later tables.
 */
export function narrow<Sub, DB extends Sub>(db: On<DB>): Kysely<Sub> {
  return db as unknown as Kysely<Sub>
}
