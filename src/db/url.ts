import { GovMigrateError, RefusedError } from '../errors.ts'

/**
 * Query parameters a URL may carry: TLS and a connect timeout. Anything else reaches the
 * server's start-up packet through node-postgres (`options=-c …`, `statement_timeout=0`,
 * `replication=…`) or replaces a part of the URL (`database=`, `user=`, `host=`), so a URL that
 * looks like one database and one set of settings could open another.
 */
const SAFE_PARAMETERS = new Set(['sslmode', 'sslcert', 'sslkey', 'sslrootcert', 'connect_timeout'])

/**
 * Refuses a URL that carries session options or a second database name in its query string.
 * Every connection the tool opens passes through here first.
 */
export function assertSafeUrl(url: string): string {
  const parsed = parse(url)
  const unsafe = [...parsed.searchParams.keys()].filter((key) => !SAFE_PARAMETERS.has(key))
  if (unsafe.length > 0) {
    throw new RefusedError(
      `refused: the URL ${redact(url)} carries ${unsafe.map((key) => `"${key}="`).join(', ')} in its query string (session options or a second database name)`,
      `remove the query string; only ${[...SAFE_PARAMETERS].join(', ')} are accepted, and the tool sets its session itself`,
    )
  }
  return url
}

/** The same server and database, logged in as `user` with `password`. */
export function withCredentials(url: string, user: string, password: string): string {
  const parsed = parse(url)
  parsed.username = encodeURIComponent(user)
  parsed.password = encodeURIComponent(password)
  return parsed.toString()
}

/** The user a URL logs in as (empty: the driver's default). */
export function userOf(url: string): string {
  return decodeURIComponent(parse(url).username)
}

/** The database a connection URL names. */
export function databaseOf(url: string): string {
  const name = decodeURIComponent(parse(url).pathname.replace(/^\//, ''))
  if (!name) throw new GovMigrateError(`the URL ${redact(url)} names no database`, 'end the URL with /<database name>')
  return name
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = parse(url)
  parsed.pathname = `/${encodeURIComponent(database)}`
  return parsed.toString()
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '<unparsable URL>'
  }
}

function parse(url: string): URL {
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') throw new Error('protocol')
    return parsed
  } catch {
    throw new GovMigrateError(
      `"${redact(url)}" is not a PostgreSQL connection URL`,
      'write it as postgres://user[:password]@host:port/database',
    )
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** A database name this tool creates or drops: letters, digits and underscores only. */
export function assertDatabaseName(name: string): string {
  if (!IDENT.test(name)) {
    throw new GovMigrateError(
      `"${name}" is not a database name this tool will create or drop`,
      'use letters, digits and underscores only (at most 63), starting with a letter',
    )
  }
  return name
}

/** A double-quoted identifier (names are checked by assertDatabaseName first). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/**
 * Below this size (decimal bytes, `pg_database_size` of the template) a copy goes through the
 * WAL; above it, as files. Measured on PostgreSQL 15 with a busy server: FILE_COPY's two
 * checkpoints cost 0.7–1.8 s whatever the size (a 28 MB stand-in: 1.3–1.8 s against 0.2–0.4 s
 * through the WAL; 100 MB: 0.7–1.3 s against 0.25–0.6 s), while at 1.2 GB writing every block
 * through the WAL is 2–3 times slower (`npm run bench`).
 */
export const WAL_LOG_BELOW_BYTES = 100_000_000

/**
 * `CREATE DATABASE … TEMPLATE` with the strategy that is faster for the template's size where
 * the server has a choice (15+): WAL_LOG for a small template, FILE_COPY for a large one.
 */
export function copyDatabaseSql(target: string, template: string, serverVersionNum: number, templateBytes: number): string {
  const strategy = serverVersionNum < 150000 ? '' : templateBytes < WAL_LOG_BELOW_BYTES ? ' strategy wal_log' : ' strategy file_copy'
  return `create database ${ident(target)} template ${ident(template)}${strategy}`
}
