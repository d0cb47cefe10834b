import type pg from 'pg'
import { openDatabase, withClient } from '../db/database.ts'
import { assertDatabaseName, databaseOf, ident, redact, withDatabase } from '../db/url.ts'
import { GovMigrateError, RefusedError } from '../errors.ts'
import { CLONE_FIX, CLONE_PREFIX, cloneRefusal, hasClonePrefix } from '../guard/guard.ts'
import { TOOL_SCHEMA, readConnectionFacts } from '../guard/connection-facts.ts'
import { readFingerprint, type Fingerprint } from '../fingerprint/fingerprint.ts'

/** The default clone name: the prefix and today's date (UTC) as YYYYMMDD. */
export function defaultCloneName(now = new Date()): string {
  return `${CLONE_PREFIX}${now.toISOString().slice(0, 10).replaceAll('-', '')}`
}

export interface CreateCloneOptions {
  /** Production (or stand-in) URL; only read. */
  from: string
  name?: string
  proposal: string
  onProgress?: (line: string) => void
}

export interface CloneInfo {
  name: string
  url: string
  source: string
  sourceFingerprint: Fingerprint
  fingerprint: Fingerprint
}

/** Reads a fingerprint through the read-only channel. */
export async function fingerprintOf(url: string, proposal: string): Promise<Fingerprint> {
  const { db, close } = openDatabase(url, { policy: 'any', readOnly: true, max: 1 })
  try {
    return await readFingerprint(db, proposal)
  } finally {
    await close()
  }
}

/**
 * Makes a marked clone of `from` on the same server with `CREATE DATABASE … TEMPLATE`,
 * which needs the source to have no other session. A clone that fails half-way is dropped.
 */
export async function createClone(options: CreateCloneOptions): Promise<CloneInfo> {
  const source = assertDatabaseName(databaseOf(options.from))
  const name = assertDatabaseName(options.name ?? defaultCloneName())
  if (hasClonePrefix(source)) {
    throw new RefusedError(`refused: the source "${source}" is itself a clone`, 'clone from the production database')
  }
  if (!hasClonePrefix(name)) {
    throw new RefusedError(`refused: a clone's name must start with "${CLONE_PREFIX}", not "${name}"`, `use --name ${CLONE_PREFIX}<suffix>`)
  }
  options.onProgress?.(`reading the fingerprint of ${source} (read-only)`)
  const sourceFingerprint = await fingerprintOf(options.from, options.proposal)
  const admin = withDatabase(options.from, 'postgres')
  const url = withDatabase(options.from, name)
  await withClient(admin, async (client) => {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name])
    if (exists.rowCount) {
      throw new GovMigrateError(`the clone "${name}" already exists`, `drop it with \`migrate clone drop --url ${redact(url)}\` or pass another --name`)
    }
    const n = await otherSessions(client, source)
    if (n > 0) {
      throw new GovMigrateError(
        `"${source}" has ${n} other session(s); CREATE DATABASE … TEMPLATE needs none`,
        'close the other sessions, or clone with the dump strategy',
      )
    }
    options.onProgress?.(`creating ${name} from ${source} (template copy)`)
    try {
      await client.query(`create database ${ident(name)} template ${ident(source)}`)
    } catch (error) {
      throw new GovMigrateError(`CREATE DATABASE ${name} failed: ${error instanceof Error ? error.message : String(error)}`, 'close the sessions on the source and run again', { cause: error })
    }
  })
  try {
    await markClone(url, name, source, sourceFingerprint)
    const fingerprint = await fingerprintOf(url, options.proposal)
    await withClient(url, (client) =>
      client.query(`update ${TOOL_SCHEMA}.clone_marker set created_fingerprint = $1`, [JSON.stringify(fingerprint)]),
    )
    return { name, url, source, sourceFingerprint, fingerprint }
  } catch (error) {
    await withClient(admin, (client) => client.query(`drop database if exists ${ident(name)} with (force)`))
    throw error
  }
}

/**
 * Sessions on `source` other than ours. A session we just closed can linger for a
 * moment in pg_stat_activity, so a non-zero count is re-read for up to two seconds.
 */
async function otherSessions(client: pg.Client, source: string): Promise<number> {
  let n = 0
  for (let attempt = 0; attempt < 10; attempt++) {
    const { rows } = await client.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [source],
    )
    n = rows[0]?.n ?? 0
    if (n === 0) return 0
    await new Promise((done) => setTimeout(done, 200))
  }
  return n
}

/** Writes the clone marker: the guard's proof that this database is a clone made here. */
async function markClone(url: string, name: string, source: string, sourceFingerprint: Fingerprint): Promise<void> {
  await withClient(url, async (client) => {
    await client.query('begin')
    await client.query(`create schema ${TOOL_SCHEMA}`)
    await client.query(`
      create table ${TOOL_SCHEMA}.clone_marker (
        clone_name text primary key,
        source_db  text not null,
        created_at timestamptz not null default now(),
        -- production's fingerprint when the clone was made, and the clone's own right after
        source_fingerprint  jsonb not null,
        created_fingerprint jsonb
      )`)
    await client.query(`insert into ${TOOL_SCHEMA}.clone_marker (clone_name, source_db, source_fingerprint) values ($1, $2, $3)`, [
      name,
      source,
      JSON.stringify(sourceFingerprint),
    ])
    await client.query('commit')
  })
}

/** Drops a marked clone; anything else is refused. */
export async function dropClone(url: string): Promise<string> {
  const name = assertDatabaseName(databaseOf(url))
  const facts = await withClient(url, (client) => readConnectionFacts(client)).catch((error: unknown) => {
    throw new GovMigrateError(`cannot connect to "${name}": ${error instanceof Error ? error.message : String(error)}`, 'check the URL; nothing was dropped', { cause: error })
  })
  const refusal = cloneRefusal(facts)
  if (refusal) throw new RefusedError(`refused: ${refusal}; only marked clones are dropped`, CLONE_FIX)
  await withClient(withDatabase(url, 'postgres'), (client) => client.query(`drop database ${ident(name)} with (force)`))
  return name
}

export interface MarkerRecord {
  cloneName: string
  sourceDatabase: string
  createdAt: string
  sourceFingerprint: Fingerprint
  createdFingerprint: Fingerprint | null
}

/** The clone's marker row with the fingerprints kept at creation. */
export async function readMarker(url: string): Promise<MarkerRecord | null> {
  return withClient(url, async (client) => {
    const present = await client.query<{ ok: boolean }>(`select to_regclass('${TOOL_SCHEMA}.clone_marker') is not null as ok`)
    if (!present.rows[0]?.ok) return null
    const { rows } = await client.query<{ clone_name: string; source_db: string; created_at: string; source_fingerprint: Fingerprint; created_fingerprint: Fingerprint | null }>(
      `select clone_name, source_db, created_at::text, source_fingerprint, created_fingerprint from ${TOOL_SCHEMA}.clone_marker limit 1`,
    )
    const row = rows[0]
    return row
      ? { cloneName: row.clone_name, sourceDatabase: row.source_db, createdAt: row.created_at, sourceFingerprint: row.source_fingerprint, createdFingerprint: row.created_fingerprint }
      : null
  })
}

/** True when `url` names an existing marked clone. */
export async function isClone(url: string): Promise<boolean> {
  try {
    const facts = await withClient(url, (client) => readConnectionFacts(client))
    return cloneRefusal(facts) === null
  } catch {
    return false
  }
}

