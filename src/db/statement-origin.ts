import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * Who sent a statement: a migration body, or the tool itself (its begin, commit and
 * savepoints). Carried by the async context, so a query a body starts and does not
 * await is still the body's, and a statement the tool sends from inside a body
 * (Kysely's savepoints, the pipeline's rehearsed rollbacks) is still the tool's.
 */
export type StatementOrigin = 'migration-body' | 'tool'

/**
 * One store per process. The migrations and the CLI share one module graph (src/loader/import-ts.ts),
 * so this module is loaded once; the store is kept on globalThis for a project that holds its own
 * copy of the sources (a test editing pipeline modules in a scratch copy of src/): the CLI runs the
 * package's dist/, its migrations that copy, and a body's statements must still be seen as the body's.
 */
const KEY = Symbol.for('gov-migrate.statement-origin')
const shared = globalThis as typeof globalThis & { [KEY]?: AsyncLocalStorage<StatementOrigin> }
const origin: AsyncLocalStorage<StatementOrigin> = (shared[KEY] ??= new AsyncLocalStorage<StatementOrigin>())

/** Runs a migration body: every statement it starts is held to the whole statement policy. */
export function asMigrationBody<T>(fn: () => Promise<T>): Promise<T> {
  return origin.run('migration-body', fn)
}

/** Sends the tool's own transaction control (never a migration's SQL). */
export function asTool<T>(fn: () => T): T {
  return origin.run('tool', fn)
}

/** The origin of the statement being sent now; undefined outside any migration body. */
export function statementOrigin(): StatementOrigin | undefined {
  return origin.getStore()
}
