import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { GovMigrateError, describe } from '../errors.ts'

/**
 * The identity of the transaction a migration runs in: its transaction id on its
 * session. Read before and after the body; a body that ended the tool's transaction
 * (and so had its work committed, or a new transaction begun) cannot pass unseen.
 */
export async function readOwnTransaction(db: Kysely<DB>): Promise<string> {
  const { rows } = await sql<{ id: string }>`select pg_catalog.txid_current()::text || '@' || pg_catalog.pg_backend_pid() as id`.execute(db)
  return rows[0]?.id ?? ''
}

/** Fails the migration unless the transaction open now is the one `before` names. */
export async function assertOwnTransaction(db: Kysely<DB>, before: string): Promise<void> {
  let after: string
  try {
    after = await readOwnTransaction(db)
  } catch (error) {
    throw new GovMigrateError(`the migration's transaction did not survive its body: ${describe(error)}`, 'fix the body; nothing of it was committed', { cause: error })
  }
  if (after !== before) {
    throw new GovMigrateError(
      `the migration's body ended the tool's transaction (transaction ${before} before the body, ${after} after); the tool commits nothing of it`,
      'remove the transaction control from the body: the tool begins and commits each migration itself',
    )
  }
}
