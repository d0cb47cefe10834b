import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { GovMigrateError } from '../errors.ts'

/**
 * Umzug has no lock. One session-level advisory lock per run serialises every
 * `up`/`down` on a database, so two runs at once apply each migration once.
 * A killed process releases it with its session. The key is this tool's own.
 */
const LOCK_KEY = 7_243_010_601n

/** Takes the run lock on a pinned connection, waiting at most `timeoutMs`. */
export async function acquireRunLock(conn: Kysely<DB>, timeoutMs: number): Promise<void> {
  await sql`select set_config('lock_timeout', ${`${timeoutMs}ms`}, false)`.execute(conn)
  try {
    await sql`select pg_advisory_lock(${LOCK_KEY.toString()}::bigint)`.execute(conn)
  } catch (error) {
    throw new GovMigrateError(
      `another migrate run holds the lock on this database (waited ${timeoutMs} ms)`,
      'wait for the other run to finish, then run again (or raise lockTimeoutMs in kysely.config.ts)',
      { cause: error },
    )
  } finally {
    await sql`select set_config('lock_timeout', '0', false)`.execute(conn)
  }
}

export async function releaseRunLock(conn: Kysely<DB>): Promise<void> {
  await sql`select pg_advisory_unlock(${LOCK_KEY.toString()}::bigint)`.execute(conn)
}
