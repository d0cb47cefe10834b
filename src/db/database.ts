import { Kysely, PostgresDialect, PostgresDriver, type DatabaseConnection, type Driver, type PostgresDialectConfig, type QueryCompiler, type TransactionSettings, type LogEvent } from 'kysely'
import pg from 'pg'
import type { DB } from './schema.ts'
import { GuardedPool, type GuardPolicy } from './guarded-pool.ts'
import { asTool } from './statement-origin.ts'
import { connectionError } from './connection-error.ts'
import { READ_ONLY_LIMITS, setUpSession, STARTUP_OPTIONS } from './session.ts'
import { assertSafeUrl, copyDatabaseSql } from './url.ts'

export type { DB } from './schema.ts'

export interface OpenOptions {
  policy: GuardPolicy
  /** The production proof channel: READ ONLY, 5 s statement timeout, at most 500 rows a query. */
  readOnly?: boolean
  /**
   * Parse and check every statement (`src/guard/statement-policy.ts`). Default: on, except on the
   * read-only channel, where no migration body runs and the server refuses writes (READ ONLY);
   * a writable pool always checks.
   */
  statementPolicy?: boolean
  max?: number
  /** Sees every executed statement (the plan captures a migration's SQL with it). */
  log?: (event: LogEvent) => void
}

export interface Database {
  db: Kysely<DB>
  pool: GuardedPool
  close(): Promise<void>
}

/**
 * Kysely's own transaction control (begin, commit, rollback, savepoints) is the tool's:
 * it is sent as such, so the statement policy lets it through while a migration body,
 * which may not send any, runs on the same connection.
 */
class ToolTransactionsDriver extends PostgresDriver {
  override beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return asTool(() => super.beginTransaction(connection, settings))
  }
  override commitTransaction(connection: DatabaseConnection): Promise<void> {
    return asTool(() => super.commitTransaction(connection))
  }
  override rollbackTransaction(connection: Parameters<PostgresDriver['rollbackTransaction']>[0]): Promise<void> {
    return asTool(() => super.rollbackTransaction(connection))
  }
  override savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return asTool(() => super.savepoint(connection, name, compile))
  }
  override rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return asTool(() => super.rollbackToSavepoint(connection, name, compile))
  }
  override releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return asTool(() => super.releaseSavepoint(connection, name, compile))
  }
}

class ToolTransactionsDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig
  constructor(config: PostgresDialectConfig) {
    super(config)
    this.#config = config
  }
  override createDriver(): Driver {
    return new ToolTransactionsDriver(this.#config)
  }
}

/**
 * Opens a typed, guarded Kysely on `url`. Every connection passes the guard of
 * `policy` before any statement runs.
 */
export function openDatabase(url: string, options: OpenOptions): Database {
  const readOnly = options.readOnly === true
  const pool = new GuardedPool({
    url,
    policy: options.policy,
    readOnly,
    statementPolicy: options.statementPolicy ?? !readOnly,
    max: options.max ?? 2,
    applicationName: readOnly ? 'gov-migrate:read-only' : 'gov-migrate',
    ...(readOnly ? { rowCap: READ_ONLY_LIMITS.rowCap } : {}),
  })
  const db = new Kysely<DB>({
    dialect: new ToolTransactionsDialect({ pool }),
    ...(options.log ? { log: options.log } : {}),
  })
  return { db, pool, close: () => db.destroy() }
}

/**
 * Runs `fn` on a plain client logged in as the URL's role (the admin channel: create and drop
 * databases and roles, read markers). The URL is checked and the session set up first.
 */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: assertSafeUrl(url),
    connectionTimeoutMillis: 10_000,
    application_name: 'gov-migrate:admin',
    options: STARTUP_OPTIONS,
  })
  client.on('error', () => undefined)
  await client.connect().catch((error: unknown) => {
    throw connectionError(error)
  })
  try {
    await setUpSession(client, false)
    return await fn(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** True when a database of that name exists on the server `admin` is connected to. */
export async function databaseExists(admin: pg.Client, name: string): Promise<boolean> {
  const { rowCount } = await admin.query('select 1 from pg_catalog.pg_database where datname = $1', [name])
  return (rowCount ?? 0) > 0
}

/**
 * Copies the database `template` to a new database `target` on the admin session `admin`, as
 * `createdb -T` does, with the strategy `copyDatabaseSql` chooses for the template's size. A
 * session that is still closing on the template makes PostgreSQL refuse the copy (55006, "being
 * accessed by other users"): it is tried again `retries` times, `intervalMs` apart; with none, that
 * error reaches the caller, who tells a busy source by it.
 */
export async function copyDatabase(admin: pg.Client, template: string, target: string, wait: { retries: number; intervalMs: number }): Promise<void> {
  const { rows } = await admin.query<{ version: number; bytes: string }>(
    `select pg_catalog.current_setting('server_version_num')::int as version, pg_catalog.pg_database_size($1)::bigint as bytes`,
    [template],
  )
  const copy = copyDatabaseSql(target, template, rows[0]?.version ?? 0, Number(rows[0]?.bytes ?? 0))
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(copy)
      return
    } catch (error) {
      if (attempt >= wait.retries || (error as { code?: unknown }).code !== '55006') throw error
      await new Promise((done) => setTimeout(done, wait.intervalMs))
    }
  }
}
