import pg from 'pg'
import { connectionError } from '../db/connection-error.ts'
import { copyDatabase, databaseExists, openDatabase, withClient } from '../db/database.ts'
import { assertDatabaseName, databaseOf, ident, redact, withDatabase } from '../db/url.ts'
import { describe, GovMigrateError, RefusedError } from '../errors.ts'
import { CLONE_FIX, CLONE_PREFIX, cloneRefusal, cloneRole, defaultCloneName, hasClonePrefix } from '../guard/guard.ts'
import { TOOL_SCHEMA, readConnectionFacts } from '../guard/connection-facts.ts'
import { dropWriterRoleIfUnused, ensureWriterRole, handOverClone, writerRoleName } from '../db/clone-role.ts'
import { ensureLogTables } from '../migrator/log-storage.ts'
import { readFingerprint, type Fingerprint, type FingerprintSettings } from '../fingerprint/fingerprint.ts'
import { fingerprintOf } from '../fingerprint/read.ts'
import { assertDumpTools, dumpAndRestore, type DumpProgress } from './dump.ts'
import { storeCatalog } from './catalog.ts'

export { defaultCloneName }

/** A clone is built under this suffix and renamed when whole, so a half-made one is recognisable. */
const PARTIAL = '__partial'

export type CloneStrategy = 'auto' | 'template' | 'dump'

export interface CloneProgress {
  phase: 'fingerprint' | 'copy' | 'mark' | 'done'
  message: string
  dump?: DumpProgress
}

export interface CreateCloneOptions {
  /** Production (or stand-in) URL; only read (fingerprint, sizes, the dump source). A read-only role does. */
  from: string
  /**
   * The admin connection that creates the clone and its role, on the same server (any
   * database there). Default: the `from` URL's credentials.
   */
  admin?: string
  name?: string
  /** The ratification proposal, or the whole fingerprint settings (`fingerprintSettings(config)`). */
  proposal: string | FingerprintSettings
  strategy?: CloneStrategy
  onProgress?: (line: string) => void
  onDumpProgress?: (progress: DumpProgress) => void
  signal?: AbortSignal
}

export interface CloneInfo {
  name: string
  url: string
  source: string
  /** The least-privilege role that owns the clone. */
  role: string
  strategy: 'template' | 'dump'
  /** Why `auto` fell back from the template copy to a dump (absent when it did not). */
  fallback?: string
  sourceFingerprint: Fingerprint
  fingerprint: Fingerprint
  ms: number
}

/**
 * Client sessions on `database` other than ours. Autovacuum workers and other background
 * processes are not counted: CREATE DATABASE … TEMPLATE stops an autovacuum worker itself,
 * and anything else that holds the source is told apart by the error (55006). A session we
 * just closed can linger for a moment in pg_stat_activity, so a non-zero count is re-read
 * for up to two seconds.
 */
async function clientSessions(client: pg.Client, database: string, patient: boolean): Promise<number> {
  let n = 0
  for (let attempt = 0; attempt < (patient ? 80 : 1); attempt++) {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'`,
      [database],
    )
    n = rows[0]?.n ?? 0
    if (n === 0) return 0
    await new Promise((done) => setTimeout(done, 25))
  }
  return n
}

/** SQLSTATE 55006 (object_in_use): "source database … is being accessed by other users". */
function inUse(error: unknown): error is Error {
  return error instanceof Error && (error as { code?: unknown }).code === '55006'
}

/**
 * Drops a database this tool made, and its clone role once nothing else holds it. The sessions
 * a command of ours just closed are let go first: terminating one (WITH (FORCE)) needs the
 * privileges of its role, which a non-superuser admin lacks for the clone's own role.
 */
async function dropDatabase(admin: string, name: string, role?: string): Promise<void> {
  await withClient(admin, async (client) => {
    await clientSessions(client, name, true)
    await client.query(`drop database if exists ${ident(name)} with (force)`)
    if (role) await dropWriterRoleIfUnused(client, role)
  })
}

/**
 * A clone in the making holds a session advisory lock on its partial's name in the server's
 * `postgres` database for as long as it runs, so a concurrent run's sweep leaves it alone
 * (it may have no session on it for a moment: between CREATE DATABASE and psql, or marking).
 */
const PARTIAL_LOCK = `select pg_try_advisory_lock(hashtext('gov-migrate:partial'), hashtext($1)) as ok`
const PARTIAL_UNLOCK = `select pg_advisory_unlock(hashtext('gov-migrate:partial'), hashtext($1))`

/**
 * Drops half-made clones a killed run left (named …__partial, no session on them, no run
 * making them); `own` is the partial the calling run holds the lock of (a leftover of its name).
 */
export async function sweepPartials(admin: string, own?: string): Promise<string[]> {
  return withClient(admin, (client) => sweepPartialsOn(client, own))
}

/** sweepPartials on an admin session already open. */
async function sweepPartialsOn(client: pg.Client, own?: string): Promise<string[]> {
  const { rows } = await client.query<{ datname: string }>(
    `select datname from pg_database d
     where left(datname, length($1)) = $1 and right(datname, length($2)) = $2
       and not exists (select 1 from pg_stat_activity a where a.datname = d.datname and a.backend_type = 'client backend')`,
    [CLONE_PREFIX, PARTIAL],
  )
  const swept: string[] = []
  for (const row of rows) {
    // Our own leftover's lock is held already (by holdPartial); another's is taken for the drop.
    const theirs = row.datname !== own
    if (theirs && !(await client.query<{ ok: boolean }>(PARTIAL_LOCK, [row.datname])).rows[0]?.ok) continue
    try {
      await client.query(`drop database if exists ${ident(row.datname)} with (force)`)
      swept.push(row.datname)
    } finally {
      if (theirs) await client.query(PARTIAL_UNLOCK, [row.datname])
    }
  }
  return swept
}

/** Takes the partial's lock on a session of its own, held until `release`. */
async function holdPartial(admin: string, partial: string): Promise<() => Promise<void>> {
  const holder = new pg.Client({ connectionString: admin, application_name: 'gov-migrate:admin' })
  holder.on('error', () => undefined)
  await holder.connect().catch((error: unknown) => {
    throw connectionError(error)
  })
  if (!(await holder.query<{ ok: boolean }>(PARTIAL_LOCK, [partial])).rows[0]?.ok) {
    await holder.end()
    throw new GovMigrateError(`another clone create is making "${partial}" on this server right now`, 'wait for it to finish, or pass another --name')
  }
  return () => holder.end().catch(() => undefined)
}

interface SourceFacts {
  /** The source's name as its server reports it. */
  database: string
  serverMajor: number
  tableBytes: number
  tables: number
  /** With the database's oid, what tells two connections apart as the same server or not. */
  serverStarted: string
  oid: number
}

const SERVER_IDENTITY = `pg_catalog.pg_postmaster_start_time()::text as started,
  (select d.oid::int from pg_catalog.pg_database d where d.datname = pg_catalog.current_database()) as oid`

/** Read on the production channel (a read-only role does). */
async function sourceFacts(url: string): Promise<SourceFacts> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ database: string; major: number; bytes: string; tables: number; started: string; oid: number }>(
      `select pg_catalog.current_database() as database, pg_catalog.current_setting('server_version_num')::int / 10000 as major,
              coalesce(sum(pg_catalog.pg_table_size(c.oid)), 0)::bigint as bytes, count(*)::int as tables, ${SERVER_IDENTITY}
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'`,
    )
    const row = rows[0]
    if (!row) throw new Error('the source facts query returned no row')
    return { database: row.database, serverMajor: row.major, tableBytes: Number(row.bytes), tables: row.tables, serverStarted: row.started, oid: row.oid }
  })
}

/** Refuses an admin connection on another server than the source (clones are made beside it). */
async function assertSameServer(admin: pg.Client, source: SourceFacts): Promise<void> {
  const { rows } = await admin.query<{ started: string; oid: number | null }>(
    `select pg_catalog.pg_postmaster_start_time()::text as started,
            (select d.oid::int from pg_catalog.pg_database d where d.datname = $1) as oid`,
    [source.database],
  )
  const row = rows[0]
  if (!row || row.started !== source.serverStarted || row.oid !== source.oid) {
    throw new RefusedError(
      `refused: the admin connection and the production connection reach different servers (a clone is made on the server of its source)`,
      'point adminUrl (or --url) at the server of --from',
    )
  }
}

/**
 * Makes a marked clone of `from` on the same server. `template` copies with
 * `CREATE DATABASE … TEMPLATE` (needs the source to have no other session); `dump`
 * streams pg_dump into psql; `auto` takes template when it can, else dump. The clone is
 * built as `<name>__partial` and renamed when whole: a failed or interrupted clone
 * leaves nothing behind (a killed process leaves a partial the next run sweeps).
 */
export async function createClone(options: CreateCloneOptions): Promise<CloneInfo> {
  const admin = withDatabase(options.admin ?? options.from, 'postgres')
  const release = await holdPartial(admin, `${assertDatabaseName(options.name ?? defaultCloneName())}${PARTIAL}`)
  try {
    return await buildClone(options)
  } finally {
    await release()
  }
}

/** The work of createClone, under its partial's lock. */
async function buildClone(options: CreateCloneOptions): Promise<CloneInfo> {
  const started = Date.now()
  assertDatabaseName(databaseOf(options.from))
  const name = assertDatabaseName(options.name ?? defaultCloneName())
  if (!hasClonePrefix(name)) {
    throw new RefusedError(`refused: a clone's name must start with "${CLONE_PREFIX}", not "${name}"`, `use --name ${CLONE_PREFIX}<suffix>`)
  }
  const partial = assertDatabaseName(`${name}${PARTIAL}`)
  const role = writerRoleName(name)
  const admin = withDatabase(options.admin ?? options.from, 'postgres')
  const url = withDatabase(options.admin ?? options.from, name)
  const partialUrl = withDatabase(options.admin ?? options.from, partial)
  // A source named as a clone is refused before anything connects: reading a marked clone's
  // fingerprint would log in as its role, setting that role's password first.
  const named = databaseOf(options.from)
  if (hasClonePrefix(named)) throw new RefusedError(`refused: the source "${named}" is itself a clone`, 'clone from the production database')
  // The source's facts and fingerprint are read side by side, both on the read-only channel; the
  // facts decide first. Every step acts on the name the production server reports, never on the
  // one parsed from the URL (which only names the source in this progress line).
  options.onProgress?.(`reading the fingerprint of ${named} (read-only)`)
  const [factsRead, fingerprintRead] = await Promise.allSettled([sourceFacts(options.from), fingerprintOf(options.from, options.proposal)])
  if (factsRead.status === 'rejected') {
    const cause: unknown = factsRead.reason
    if ((cause as { cause?: { code?: unknown } }).cause?.code === '3D000') {
      throw new GovMigrateError(
        `the source database "${named}" does not exist`,
        'pass --from <production URL> (or set productionUrl in kysely.config.ts); `migrate fixture` makes a production stand-in',
        { cause },
      )
    }
    throw cause
  }
  const facts = factsRead.value
  const source = assertDatabaseName(facts.database)
  if (hasClonePrefix(source)) throw new RefusedError(`refused: the source "${source}" is itself a clone`, 'clone from the production database')
  if (fingerprintRead.status === 'rejected') throw fingerprintRead.reason
  const sourceFingerprint = fingerprintRead.value

  // One admin session for the checks and the copy (or the empty database a dump fills).
  const { strategy, fallback } = await withClient(admin, async (client) => {
    await assertSameServer(client, facts)
    await sweepPartialsOn(client, partial)
    if (await databaseExists(client, name)) {
      throw new GovMigrateError(`the clone "${name}" already exists`, `drop it with \`migrate clone drop --url ${redact(url)}\`, reset it, or pass another --name`)
    }
    const requested = options.strategy ?? 'auto'
    let why: string | undefined
    if (requested !== 'dump') {
      const others = await clientSessions(client, source, true)
      if (others > 0) why = `"${source}" has ${others} other client session(s)`
      else {
        options.onProgress?.(`creating ${name} from ${source} (template copy)`)
        try {
          // No retry: a session on the source is told apart by its error below.
          await copyDatabase(client, source, partial, { retries: 0, intervalMs: 0 })
          return { strategy: 'template' as const, fallback: undefined }
        } catch (error) {
          // An admin role that is not a superuser may copy only databases it owns (42501): dump instead.
          if (requested === 'auto' && (error as { code?: unknown }).code === '42501') {
            why = `${describe(error)} (42501: the admin role may not copy "${source}")`
          } else if (inUse(error)) {
            why = `${describe(error)} (55006)`
          } else {
            throw new GovMigrateError(`CREATE DATABASE … TEMPLATE ${source} failed: ${describe(error)}`, 'read the error, or clone with --strategy dump', { cause: error })
          }
        }
      }
      if (requested === 'template') {
        throw new GovMigrateError(`${why}; CREATE DATABASE … TEMPLATE needs the source to itself`, 'close the sessions on the source, or clone with --strategy dump (or auto)')
      }
    }
    // Say why before the dump tools are checked: a missing pg_dump must not hide the reason for the fall-back.
    options.onProgress?.(
      why ? `template copy not possible: ${why}; falling back to pg_dump | psql` : `creating ${name} from ${source} (pg_dump | psql)`,
    )
    await assertDumpTools(facts.serverMajor)
    await client.query(`create database ${ident(partial)}`)
    return { strategy: 'dump' as const, fallback: why }
  })

  try {
    await withClient(admin, (client) => ensureWriterRole(client, role))
    if (strategy === 'dump') {
      await dumpAndRestore({
        sourceUrl: options.from,
        targetUrl: partialUrl,
        estimatedBytes: facts.tableBytes,
        tablesTotal: facts.tables,
        serverMajor: facts.serverMajor,
        ...(options.onDumpProgress ? { onProgress: options.onDumpProgress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      })
    }
    if (options.signal?.aborted) throw new GovMigrateError('the clone was interrupted', 'run clone create again; nothing was left behind')
    await withClient(partialUrl, async (client) => {
      await markClone(client, name, source, sourceFingerprint, role)
      await handOverClone(client, partial, role)
    })
    await withClient(admin, async (client) => {
      await clientSessions(client, partial, true)
      await client.query(`alter database ${ident(partial)} rename to ${ident(name)}`)
    })
  } catch (error) {
    await dropDatabase(admin, partial, role)
    throw error
  }
  try {
    // Read as the clone's own role (the first login proves the server lets it in), on one pool of
    // two sessions side by side: its fingerprint, and the catalog snapshot the round trip is proved
    // against (whose content hash of every table is most of the work after the copy). Nothing else
    // writes the clone meanwhile, and the marker, written next, is the tool's and in neither.
    const { db, close } = openDatabase(url, { policy: 'clone', max: 2 })
    let fingerprint: Fingerprint
    try {
      const [read, stored] = await Promise.allSettled([readFingerprint(db, options.proposal), storeCatalog(db)])
      if (read.status === 'rejected') throw read.reason
      if (stored.status === 'rejected') throw stored.reason
      fingerprint = read.value
    } finally {
      await close()
    }
    await withClient(url, (client) => client.query(`update ${TOOL_SCHEMA}.clone_marker set created_fingerprint = $1`, [JSON.stringify(fingerprint)]))
    return { name, url, source, role, strategy, ...(fallback ? { fallback } : {}), sourceFingerprint, fingerprint, ms: Date.now() - started }
  } catch (error) {
    await dropDatabase(admin, name, role)
    throw error
  }
}

/**
 * Writes the clone marker (the guard's proof that this database is a clone made here, and
 * the name of the role it belongs to) and the tool's log tables, all owned by the admin role:
 * the clone's role may read the marker and write the logs' rows, never replace the tables.
 */
async function markClone(client: pg.Client, name: string, source: string, sourceFingerprint: Fingerprint, role: string): Promise<void> {
  await client.query('begin')
  await client.query(`create schema if not exists ${TOOL_SCHEMA}`)
  await client.query(`alter schema ${TOOL_SCHEMA} owner to current_user`)
  await client.query(`drop table if exists ${TOOL_SCHEMA}.clone_marker`)
  await client.query(`
    create table ${TOOL_SCHEMA}.clone_marker (
      clone_name text primary key,
      source_db  text not null,
      created_at timestamptz not null default pg_catalog.now(),
      golden     boolean not null default false,
      -- the least-privilege role that owns the clone
      writer_role text not null,
      -- production's fingerprint when the clone was made, and the clone's own right after
      source_fingerprint  jsonb not null,
      created_fingerprint jsonb
    )`)
  await client.query(`insert into ${TOOL_SCHEMA}.clone_marker (clone_name, source_db, writer_role, source_fingerprint) values ($1, $2, $3, $4)`, [
    name,
    source,
    role,
    JSON.stringify(sourceFingerprint),
  ])
  await ensureLogTables(client)
  // Tables a copied production log brought along are the admin role's too.
  const { rows } = await client.query<{ name: string }>(
    `select pg_catalog.quote_ident(c.relname) as name from pg_catalog.pg_class c
     where c.relnamespace = pg_catalog.to_regnamespace($1) and c.relkind in ('r', 'S')`,
    [TOOL_SCHEMA],
  )
  for (const row of rows) await client.query(`alter table ${TOOL_SCHEMA}.${row.name} owner to current_user`)
  await client.query('commit')
}

/**
 * Drops a marked clone (or golden snapshot), and its role once nothing else holds it;
 * anything else is refused. Drops the name the server reported and the guard checked.
 */
export async function dropClone(url: string, confirm?: (what: string) => Promise<void>): Promise<string> {
  const facts = await withClient(url, (client) => readConnectionFacts(client)).catch((error: unknown) => {
    if (error instanceof GovMigrateError) throw error
    throw new GovMigrateError(`cannot connect to "${databaseOf(url)}": ${error instanceof Error ? error.message : String(error)}`, 'check the URL; nothing was dropped', { cause: error })
  })
  // A golden snapshot is dropped like any marked clone (the guard only keeps it from being migrated).
  const refusal = facts.marker?.golden && cloneRole(facts) !== null ? null : cloneRefusal(facts)
  if (refusal) throw new RefusedError(`refused: ${refusal}; only marked clones are dropped`, CLONE_FIX)
  const name = assertDatabaseName(facts.database)
  await confirm?.(`drop ${facts.marker?.golden === true ? 'the golden snapshot' : 'the clone'} ${name}`)
  await dropDatabase(withDatabase(url, 'postgres'), name, cloneRole(facts) ?? undefined)
  return name
}

export interface MarkerRecord {
  cloneName: string
  sourceDatabase: string
  createdAt: string
  golden: boolean
  sourceFingerprint: Fingerprint
  createdFingerprint: Fingerprint | null
}

/** The clone's marker row with the fingerprints kept at creation. */
export async function readMarker(url: string): Promise<MarkerRecord | null> {
  return withClient(url, async (client) => {
    const present = await client.query<{ ok: boolean }>(`select pg_catalog.to_regclass('${TOOL_SCHEMA}.clone_marker') is not null as ok`)
    if (!present.rows[0]?.ok) return null
    const { rows } = await client.query<{ clone_name: string; source_db: string; created_at: string; golden: boolean; source_fingerprint: Fingerprint; created_fingerprint: Fingerprint | null }>(
      `select clone_name, source_db, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created_at, golden,
              source_fingerprint, created_fingerprint from ${TOOL_SCHEMA}.clone_marker limit 1`,
    )
    const row = rows[0]
    return row
      ? { cloneName: row.clone_name, sourceDatabase: row.source_db, createdAt: row.created_at, golden: row.golden, sourceFingerprint: row.source_fingerprint, createdFingerprint: row.created_fingerprint }
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
