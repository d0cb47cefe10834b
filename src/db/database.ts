import { Kysely, PostgresDialect, type LogEvent } from 'kysely'
import pg from 'pg'
import type { DB } from './schema.ts'
import { GuardedPool, type GuardPolicy } from './guarded-pool.ts'
import { ForbiddenWritesPlugin } from '../guard/forbidden-writes.ts'
import { connectionError } from './connection-error.ts'

export type { DB } from './schema.ts'

export interface OpenOptions {
  policy: GuardPolicy
  /** The production proof channel: READ ONLY, 5 s statement timeout, at most 500 rows a query. */
  readOnly?: boolean
  max?: number
  /** Sees every executed statement (the plan captures a migration's SQL with it). */
  log?: (event: LogEvent) => void
}

export interface Database {
  db: Kysely<DB>
  pool: GuardedPool
  close(): Promise<void>
}

/** Session settings of the read-only channel, set at connection start-up. */
const READ_ONLY_OPTIONS = '-c default_transaction_read_only=on -c statement_timeout=5000 -c idle_in_transaction_session_timeout=10000'

/**
 * Opens a typed, guarded Kysely on `url`. Every connection passes the guard of
 * `policy` before any statement runs.
 */
export function openDatabase(url: string, options: OpenOptions): Database {
  const raw = new pg.Pool({
    connectionString: url,
    max: options.max ?? 2,
    connectionTimeoutMillis: 10_000,
    application_name: options.readOnly ? 'gov-migrate:read-only' : 'gov-migrate',
    ...(options.readOnly ? { options: READ_ONLY_OPTIONS } : {}),
  })
  // An idle client that dies (server restart) must not crash the process.
  raw.on('error', () => undefined)
  const pool = new GuardedPool(raw, { policy: options.policy, ...(options.readOnly ? { rowCap: 500 } : {}) })
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new ForbiddenWritesPlugin()],
    ...(options.log ? { log: options.log } : {}),
  })
  return { db, pool, close: () => db.destroy() }
}

/** Runs `fn` on a plain client (server administration: create and drop databases). */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'gov-migrate:admin' })
  client.on('error', () => undefined)
  await client.connect().catch((error: unknown) => {
    throw connectionError(error)
  })
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** True when a database of that name exists on the server `admin` is connected to. */
export async function databaseExists(admin: pg.Client, name: string): Promise<boolean> {
  const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name])
  return (rowCount ?? 0) > 0
}
