import type { Queryable } from '../guard/connection-facts.ts'

/**
 * The search path of every session the tool opens. `pg_catalog` is not listed, so the
 * server searches it first: a function or operator in `public` cannot shadow a built-in,
 * and `pg_temp` is searched last for tables, so a temporary table cannot shadow one either.
 */
export const SEARCH_PATH = 'public, pg_temp'

/**
 * Start-up options node-postgres sends with every connection. They outrank `ALTER DATABASE …
 * SET` and `ALTER ROLE … SET`, and a non-empty value keeps `PGOPTIONS` of the environment out.
 *
 * `jit=off`: the tool's statements are short, and the drift and coverage views' cost estimates
 * grow with the stand-in's scale past the JIT thresholds, where compiling costs more than running
 * (scale 100: 1.8 s of JIT for a 0.4 s `v_drift_finding`, paid on every measurement).
 */
export const STARTUP_OPTIONS = '-c search_path=public,pg_temp -c jit=off'

/** The read-only channel's limits. */
export const READ_ONLY_LIMITS = { statementTimeoutMs: 5000, idleInTransactionMs: 10_000, rowCap: 500 } as const

/**
 * Sets the session up right after connecting, whatever the URL, the database's or the role's
 * defaults said: the search path and, on the read-only channel, READ ONLY and the timeouts.
 * Every name is schema-qualified, so nothing a database defines can stand in for it.
 */
export async function setUpSession(client: Queryable, readOnly: boolean): Promise<void> {
  const settings: [string, string][] = [['search_path', SEARCH_PATH]]
  if (readOnly) {
    settings.push(
      ['default_transaction_read_only', 'on'],
      ['statement_timeout', String(READ_ONLY_LIMITS.statementTimeoutMs)],
      ['idle_in_transaction_session_timeout', String(READ_ONLY_LIMITS.idleInTransactionMs)],
    )
  }
  await client.query(
    `select ${settings.map((_, i) => `pg_catalog.set_config($${2 * i + 1}, $${2 * i + 2}, false)`).join(', ')}`,
    settings.flat(),
  )
}
