import type pg from 'pg'
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import { CLONE_FIX, cloneRefusal, type ConnectionFacts } from '../guard/guard.ts'
import { readConnectionFacts } from '../guard/connection-facts.ts'
import { assertNoForbiddenWrite } from '../guard/forbidden-writes.ts'
import { GovMigrateError, RefusedError } from '../errors.ts'
import { connectionError } from './connection-error.ts'

/**
 * What every connection of a pool must satisfy before it is handed out:
 * - `clone`: a marked clone (clone-tier migrations, fixtures of tests never).
 * - `any`: any database (production-tier migrations; the ospa gate runs in their transaction).
 */
export type GuardPolicy = 'clone' | 'any'

export interface GuardedPoolOptions {
  policy: GuardPolicy
  /** Fail a statement that returns more rows than this (the read-only channel uses 500). */
  rowCap?: number
}

/**
 * A Kysely `PostgresPool` that checks the guard when a connection is made, so that
 * no query path (builders, `sql` templates, `executeQuery(CompiledQuery)`) gets around it.
 *
 * Why not Kysely's `onCreateConnection`: a throwing hook leaks the pooled client.
 * Here a refused client is destroyed (`release(true)`) before the error propagates.
 */
export class GuardedPool implements PostgresPool {
  readonly #pool: pg.Pool
  readonly #options: GuardedPoolOptions
  readonly #clients = new WeakMap<pg.PoolClient, GuardedClient>()
  #facts: ConnectionFacts | undefined

  constructor(pool: pg.Pool, options: GuardedPoolOptions) {
    this.#pool = pool
    this.#options = options
  }

  /** Facts of the last connection made (all connections of a pool go to one database). */
  get facts(): ConnectionFacts | undefined {
    return this.#facts
  }

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.#pool.connect().catch((error: unknown) => {
      throw connectionError(error)
    })
    const known = this.#clients.get(client)
    if (known) return known
    try {
      const facts = await readConnectionFacts(client)
      if (this.#options.policy === 'clone') {
        const refusal = cloneRefusal(facts)
        if (refusal) throw new RefusedError(`refused: ${refusal}`, CLONE_FIX)
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
    const guarded = new GuardedClient(client, this.#options.rowCap)
    this.#clients.set(client, guarded)
    return guarded
  }

  async end(): Promise<void> {
    await this.#pool.end()
  }
}

class GuardedClient implements PostgresPoolClient {
  readonly #client: pg.PoolClient
  readonly #rowCap: number | undefined

  constructor(client: pg.PoolClient, rowCap: number | undefined) {
    this.#client = client
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
    assertNoForbiddenWrite(sql)
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

