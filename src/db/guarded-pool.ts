import pg from 'pg'
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import { CLONE_FIX, cloneRefusal, cloneRole, type ConnectionFacts } from '../guard/guard.ts'
import { readConnectionFacts } from '../guard/connection-facts.ts'
import { loadStatementParser, statementRefusal } from '../guard/statement-policy.ts'
import { GovMigrateError, RefusedError, StatementRefusedError } from '../errors.ts'
import { statementOrigin } from './statement-origin.ts'
import { connectionError } from './connection-error.ts'
import { setUpSession, STARTUP_OPTIONS } from './session.ts'
import { assertSafeUrl, databaseOf, withCredentials } from './url.ts'
import { assertWriterPassword, isLoginError, loginRefusal } from './clone-role.ts'
import { withClient } from './database.ts'

/**
 * What every connection of a pool must satisfy before it is handed out:
 * - `clone`: a marked clone (clone-tier migrations, fixtures of tests never).
 * - `any`: any database (production-tier migrations; the ospa gate runs in their transaction).
 */
export type GuardPolicy = 'clone' | 'any'

export interface GuardedPoolOptions {
  url: string
  policy: GuardPolicy
  /** The read-only channel: READ ONLY and timeouts set after connecting. */
  readOnly: boolean
  max: number
  applicationName: string
  /** Fail a statement that returns more rows than this (the read-only channel uses 500). */
  rowCap?: number
  /**
   * Parse every statement with PostgreSQL's parser and refuse the policy's classes
   * (`src/guard/statement-policy.ts`). On for every pool that can run a migration body.
   * Off only for a `readOnly` pool (the read-only channel runs the tool's own reads, never a
   * body, and the server refuses its writes); a pool without the policy refuses any statement
   * sent from a migration body, and a writable pool without it is refused at construction.
   */
  statementPolicy: boolean
}

/** How many times a run re-asserts its password when a concurrent run changed it meanwhile. */
const PASSWORD_RETRIES = 3

/**
 * A Kysely `PostgresPool` that checks the guard when a connection is made, and the
 * statement policy (`src/guard/statement-policy.ts`) on every statement it sends, so that
 * no query path (builders, `sql` templates, `executeQuery(CompiledQuery)`) gets around them.
 *
 * Who logs in: before the first connection, the URL's own role (the admin channel) reads the
 * target's facts. A marked clone is then only ever reached logged in as the clone's own
 * least-privilege role, with a password this process set; the admin session is closed and
 * never used for the work. A server that refuses that login is a refusal, never a fall-back.
 *
 * Why not Kysely's `onCreateConnection`: a throwing hook leaks the pooled client.
 * Here a refused client is destroyed (`release(true)`) before the error propagates.
 */
export class GuardedPool implements PostgresPool {
  readonly #options: GuardedPoolOptions
  readonly #clients = new WeakMap<pg.PoolClient, GuardedClient>()
  /** The facts the opening read on a session the pool keeps (read again on every other one). */
  readonly #preread = new WeakMap<pg.PoolClient, ConnectionFacts>()
  #pool: Promise<pg.Pool> | undefined
  #writer: string | null = null
  #facts: ConnectionFacts | undefined

  constructor(options: GuardedPoolOptions) {
    if (!options.statementPolicy && !options.readOnly) {
      throw new GovMigrateError('a writable guarded pool must check the statement policy', 'open it with statementPolicy: true, or readOnly: true')
    }
    this.#options = { ...options, url: assertSafeUrl(options.url) }
    // Start loading the parser now, while the connection is made: the first statement waits for it anyway.
    if (options.statementPolicy) void loadStatementParser().catch(() => undefined)
  }

  /** Facts of the last connection made (all connections of a pool go to one database). */
  get facts(): ConnectionFacts | undefined {
    return this.#facts
  }

  /** The clone role the pool logs in as, or null when it uses the URL's own role. */
  get writerRole(): string | null {
    return this.#writer
  }

  #newPool(connectionString: string): pg.Pool {
    const pool = new pg.Pool({
      connectionString,
      max: this.#options.max,
      connectionTimeoutMillis: 10_000,
      application_name: this.#options.applicationName,
      options: STARTUP_OPTIONS,
    })
    // An idle client that dies (server restart) must not crash the process.
    pool.on('error', () => undefined)
    return pool
  }

  /**
   * Reads the facts on the URL's login, refuses early, and decides which role the pool logs in as.
   * When that is the URL's own role (production, a database without a clone role), the first
   * session stays in the pool as its first connection; otherwise it sets the clone role's
   * password and is closed, and the pool logs in as the clone's role.
   */
  async #open(): Promise<pg.Pool> {
    const { url, policy } = this.#options
    const pool = this.#newPool(url)
    let first: pg.PoolClient
    try {
      first = await pool.connect()
    } catch (error) {
      await pool.end().catch(() => undefined)
      throw connectionError(error)
    }
    let kept = false
    try {
      const facts = await readConnectionFacts(first)
      if (policy === 'clone') {
        const refusal = cloneRefusal(facts)
        if (refusal) throw new RefusedError(`refused: ${refusal}`, CLONE_FIX)
      }
      const role = cloneRole(facts)
      this.#writer = role
      if (role === null || facts.user === role) {
        this.#preread.set(first, facts)
        kept = true
        return pool
      }
      return this.#newPool(withCredentials(url, role, await assertWriterPassword(first, role)))
    } finally {
      first.release(!kept)
      if (!kept) await pool.end().catch(() => undefined)
    }
  }

  async #checkout(pool: pg.Pool): Promise<pg.PoolClient> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await pool.connect()
      } catch (error) {
        const role = this.#writer
        if (role === null || !isLoginError(error)) throw connectionError(error)
        // A concurrent run set its own password meanwhile: set ours again and retry.
        if ((error as { code?: string }).code === '28P01' && attempt < PASSWORD_RETRIES) {
          await withClient(this.#options.url, (admin) => assertWriterPassword(admin, role))
          continue
        }
        throw loginRefusal(role, databaseOf(this.#options.url), error)
      }
    }
  }

  async connect(): Promise<PostgresPoolClient> {
    if (!this.#pool) {
      this.#pool = this.#open()
      this.#pool.catch(() => undefined)
    }
    const client = await this.#checkout(await this.#pool)
    const known = this.#clients.get(client)
    if (known) return known
    try {
      await setUpSession(client, this.#options.readOnly)
      const facts = this.#preread.get(client) ?? (await readConnectionFacts(client))
      this.#preread.delete(client)
      if (this.#options.policy === 'clone') {
        const refusal = cloneRefusal(facts)
        if (refusal) throw new RefusedError(`refused: ${refusal}`, CLONE_FIX)
      }
      const role = cloneRole(facts)
      if (role !== this.#writer || (role !== null && (facts.user !== role || facts.superuser))) {
        throw new RefusedError(`refused: the session on "${facts.database}" is logged in as "${facts.user}", not as the clone's role "${role ?? this.#writer ?? ''}"`, 'clone again with `migrate clone create`')
      }
      this.#facts = facts
    } catch (error) {
      client.release(true)
      if (error instanceof GovMigrateError) throw error
      throw new GovMigrateError(
        `cannot read the guard facts of the target database: ${error instanceof Error ? error.message : String(error)}`,
        'check the connection URL and that the server is running',
        { cause: error },
      )
    }
    const guarded = new GuardedClient(client, this.#options.statementPolicy, this.#options.rowCap)
    this.#clients.set(client, guarded)
    return guarded
  }

  async end(): Promise<void> {
    if (!this.#pool) return
    const pool = await this.#pool.catch(() => undefined)
    await pool?.end()
  }
}

class GuardedClient implements PostgresPoolClient {
  readonly #client: pg.PoolClient
  readonly #statementPolicy: boolean
  readonly #rowCap: number | undefined

  constructor(client: pg.PoolClient, statementPolicy: boolean, rowCap: number | undefined) {
    this.#client = client
    this.#statementPolicy = statementPolicy
    this.#rowCap = rowCap
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>
  query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') {
      throw new GovMigrateError('streaming queries are not supported by this tool', 'use a plain query')
    }
    return this.#run<R>(sqlOrCursor, parameters ?? [])
  }

  async #run<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    // Read before the first await: the origin is the async context of the caller.
    const origin = statementOrigin()
    if (this.#statementPolicy) {
      await loadStatementParser()
      const refusal = statementRefusal(sql, { transactionControl: origin !== 'migration-body' })
      if (refusal) throw new StatementRefusedError(`refused: ${refusal.reason}`, refusal.fix)
    } else if (origin === 'migration-body') {
      // Fail closed: a body's statements are only ever sent where they are parsed.
      throw new StatementRefusedError(
        'refused: a migration body ran on a connection without the statement policy (the read-only channel)',
        'run migrations through `migrate up`, on a connection that checks every statement',
      )
    }
    const result = (await this.#client.query(sql, [...parameters])) as unknown as PostgresQueryResult<R>
    if (this.#rowCap !== undefined && result.rows.length > this.#rowCap) {
      throw new GovMigrateError(
        `a read-only query returned ${result.rows.length} rows, more than the cap of ${this.#rowCap}`,
        'aggregate in SQL instead of reading rows',
      )
    }
    return result
  }

  release(destroy?: boolean): void {
    this.#client.release(destroy)
  }
}
