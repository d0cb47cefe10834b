import { sql, type Kysely } from 'kysely'
import type { UmzugStorage } from 'umzug'
import type { DB } from '../db/schema.ts'
import type { LoadedMigration } from './load-migrations.ts'
import { TOOL_SCHEMA, type Queryable } from '../guard/connection-facts.ts'

/** One row of the migration log in the target database. */
export interface LogEntry {
  name: string
  id: string
  tier: string
  sha256: string
  applied_at: string
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
      applied_at timestamptz not null default pg_catalog.clock_timestamp()
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
} as const

/** Creates every tool table on a plain client (clone creation). */
export async function ensureLogTables(client: Queryable): Promise<void> {
  for (const ddl of Object.values(TOOL_TABLES)) await client.query(ddl)
}

/** Creates the log table; runs inside the first migration's transaction, never on a read. */
export async function ensureLogTable(db: Kysely<DB>): Promise<void> {
  await sql`create schema if not exists ${sql.id(TOOL_SCHEMA)}`.execute(db)
  await sql.raw(TOOL_TABLES.migrations).execute(db)
}

/** The log in apply order; empty when the table does not exist yet (a read never creates it). */
export async function readLog(db: Kysely<DB>): Promise<LogEntry[]> {
  const { rows } = await sql<{ present: boolean }>`
    select pg_catalog.to_regclass(${`${TOOL_SCHEMA}.migrations`}) is not null as present`.execute(db)
  if (!rows[0]?.present) return []
  const log = await sql<LogEntry>`
    select name, id, tier, sha256, to_char(applied_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as applied_at
    from ${sql.id(TOOL_SCHEMA, 'migrations')} order by applied_at, name`.execute(db)
  return log.rows
}

/** Written in the same transaction as the migration's changes. */
export async function writeLogEntry(db: Kysely<DB>, m: LoadedMigration): Promise<void> {
  await ensureLogTable(db)
  await sql`
    insert into ${sql.id(TOOL_SCHEMA, 'migrations')} (name, id, tier, sha256)
    values (${m.name}, ${m.migration.id}, ${m.migration.tier}, ${m.sha256})`.execute(db)
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
