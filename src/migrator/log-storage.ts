import { sql, type Kysely } from 'kysely'
import type { UmzugStorage } from 'umzug'
import type { DB } from '../db/schema.ts'
import type { LoadedMigration } from './load-migrations.ts'
import { TOOL_SCHEMA, type Queryable } from '../guard/connection-facts.ts'
import type { SequenceStates } from './sequences.ts'
import { GovMigrateError } from '../errors.ts'

/** One row of the migration log in the target database. */
export interface LogEntry {
  name: string
  id: string
  tier: string
  /** The module-closure hash the migration was applied with (a log written before closures: the file's own hash). */
  sha256: string
  applied_at: string
  /** The closure it was applied with, path → sha256; null in a log written before closures were kept. */
  modules: Record<string, string> | null
  /** sha256 of the SQL its `up` executed (statements in order, parameters included); null in an older log. */
  sql_sha256: string | null
  /** sha256 of the receipt a production run was bound to; null when none was given. */
  receipt_sha256: string | null
  /** The sequences its `up` moved, with their state before: what its `down` sets back. */
  sequences: SequenceStates | null
  /** What its `up` measured here (every changed number); null in an older log. On production its `down` expects the reverse. */
  deltas: Record<string, number> | null
}

/** What a log entry records besides the migration's own identity. */
export interface LogProof {
  sqlSha256: string
  sequences: SequenceStates
  receiptSha256?: string
  deltas: Record<string, number>
}

/**
 * The tool's tables in its own schema of the target. On a clone `migrate clone create` makes
 * them (owned by the admin role; the clone's role writes their rows); on production the first
 * production tier does.
 */
export const TOOL_TABLES = {
  migrations: `
    create table if not exists ${TOOL_SCHEMA}.migrations (
      name       text primary key,
      id         text not null unique,
      tier       text not null,
      sha256     text not null,
      applied_at timestamptz not null default pg_catalog.clock_timestamp(),
      modules        jsonb,
      sql_sha256     text,
      receipt_sha256 text,
      sequences      jsonb,
      deltas         jsonb
    )`,
  rehearsals: `
    create table if not exists ${TOOL_SCHEMA}.rehearsals (
      name      text not null,
      id        text not null,
      sha256    text not null,
      direction text not null,
      proven_at timestamptz not null default pg_catalog.clock_timestamp()
    )`,
  rehearse_runs: `create table if not exists ${TOOL_SCHEMA}.rehearse_runs (id bigint generated always as identity primary key, record jsonb not null)`,
  // the catalog snapshot taken at clone creation, with the log the clone carried from production
  clone_catalog: `
    create table if not exists ${TOOL_SCHEMA}.clone_catalog (
      taken_at    timestamptz not null default pg_catalog.now(),
      snapshot    jsonb not null,
      carried_log jsonb not null default '[]'
    )`,
} as const

/**
 * A log written by an older version gains the columns it lacks (rows kept). Only its owner may
 * alter it, so it runs only when a column is missing.
 */
const UPGRADE_LOG = `
  do $$ begin
    if pg_catalog.to_regclass('${TOOL_SCHEMA}.migrations') is not null and (
      select pg_catalog.count(*) from pg_catalog.pg_attribute
      where attrelid = '${TOOL_SCHEMA}.migrations'::regclass and attname in ('modules', 'sql_sha256', 'receipt_sha256', 'sequences', 'deltas') and not attisdropped) < 5
    then
      alter table ${TOOL_SCHEMA}.migrations
        add column if not exists modules jsonb, add column if not exists sql_sha256 text,
        add column if not exists receipt_sha256 text, add column if not exists sequences jsonb,
        add column if not exists deltas jsonb;
    end if;
  end $$`

/** Creates every tool table on a plain client (clone creation). */
export async function ensureLogTables(client: Queryable): Promise<void> {
  for (const ddl of Object.values(TOOL_TABLES)) await client.query(ddl)
  await client.query(UPGRADE_LOG)
}

/** Creates the log table; runs inside the first migration's transaction, never on a read. */
export async function ensureLogTable(db: Kysely<DB>): Promise<void> {
  await sql`create schema if not exists ${sql.id(TOOL_SCHEMA)}`.execute(db)
  await sql.raw(TOOL_TABLES.migrations).execute(db)
  await sql.raw(UPGRADE_LOG).execute(db).catch((error: unknown) => {
    // 42501: a clone's role may write the log's rows but not alter the table its admin owns.
    if ((error as { code?: string }).code !== '42501') throw error
    throw new GovMigrateError(
      'the migration log here was written by an older version of gov-migrate (it lacks columns) and this role may not upgrade it',
      'reset the clone (migrate clone reset --yes) or make it again: the admin brings its log up to date',
    )
  })
}

interface LogRow {
  row: Partial<LogEntry> & { name: string; id: string; tier: string; sha256: string }
  applied_at: string
}

/**
 * The log in apply order; empty when the table does not exist yet (a read never creates
 * it). A log written by an older version (fewer columns) reads with nulls for the rest.
 */
export async function readLog(db: Kysely<DB>): Promise<LogEntry[]> {
  const { rows } = await sql<{ present: boolean }>`
    select pg_catalog.to_regclass(${`${TOOL_SCHEMA}.migrations`}) is not null as present`.execute(db)
  if (!rows[0]?.present) return []
  const log = await sql<LogRow>`
    select to_jsonb(m) as row, to_char(m.applied_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as applied_at
    from ${sql.id(TOOL_SCHEMA, 'migrations')} m order by m.applied_at, m.name`.execute(db)
  return log.rows.map(({ row, applied_at }) => ({
    name: row.name,
    id: row.id,
    tier: row.tier,
    sha256: row.sha256,
    applied_at,
    modules: row.modules ?? null,
    sql_sha256: row.sql_sha256 ?? null,
    receipt_sha256: row.receipt_sha256 ?? null,
    sequences: row.sequences ?? null,
    deltas: row.deltas ?? null,
  }))
}

/** Written in the same transaction as the migration's changes. */
export async function writeLogEntry(db: Kysely<DB>, m: LoadedMigration, proof: LogProof): Promise<void> {
  await ensureLogTable(db)
  await sql`
    insert into ${sql.id(TOOL_SCHEMA, 'migrations')} (name, id, tier, sha256, modules, sql_sha256, receipt_sha256, sequences, deltas)
    values (${m.name}, ${m.migration.id}, ${m.migration.tier}, ${m.sha256}, ${JSON.stringify(m.modules)}::jsonb,
            ${proof.sqlSha256}, ${proof.receiptSha256 ?? null}, ${JSON.stringify(proof.sequences)}::jsonb, ${JSON.stringify(proof.deltas)}::jsonb)`.execute(db)
}

export async function deleteLogEntry(db: Kysely<DB>, m: LoadedMigration): Promise<void> {
  await sql`delete from ${sql.id(TOOL_SCHEMA, 'migrations')} where name = ${m.name}`.execute(db)
}

/**
 * Umzug's storage contract over the log. Umzug calls `logMigration` after a migration
 * returns, outside any transaction; our migrations have already written (or deleted) their
 * entry inside their own transaction, so these two only confirm it.
 */
export function logStorage(db: Kysely<DB>): UmzugStorage<unknown> {
  const has = async (name: string) => (await readLog(db)).some((entry) => entry.name === name)
  return {
    async executed() {
      return (await readLog(db)).map((entry) => entry.name)
    },
    async logMigration({ name }) {
      if (!(await has(name))) throw new Error(`the log entry of ${name} is missing after its transaction committed`)
    },
    async unlogMigration({ name }) {
      if (await has(name)) throw new Error(`the log entry of ${name} is still present after its down committed`)
    },
  }
}
