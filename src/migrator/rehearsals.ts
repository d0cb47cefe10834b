import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { TOOL_SCHEMA } from '../guard/connection-facts.ts'
import { TOOL_TABLES } from './log-storage.ts'

export interface RehearsalProof {
  name: string
  id: string
  sha256: string
  direction: 'up' | 'down'
}

export interface RecordedProof extends RehearsalProof {
  proven_at: string
}

/**
 * Records, on the clone, that these migrations' round trips were rehearsed (file hash
 * included, so an edited file is no longer proven). Written after the rehearsal rolled
 * back, in the tool's own schema, which no fingerprint reads.
 */
export async function recordRehearsal(db: Kysely<DB>, proofs: readonly RehearsalProof[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`create schema if not exists ${sql.id(TOOL_SCHEMA)}`.execute(trx)
    await sql.raw(TOOL_TABLES.rehearsals).execute(trx)
    for (const p of proofs) {
      await sql`insert into ${sql.id(TOOL_SCHEMA, 'rehearsals')} (name, id, sha256, direction) values (${p.name}, ${p.id}, ${p.sha256}, ${p.direction})`.execute(trx)
    }
  })
}

/** The latest proof per migration and hash; empty when nothing was rehearsed here. */
export async function readRehearsals(db: Kysely<DB>): Promise<RecordedProof[]> {
  const { rows: present } = await sql<{ ok: boolean }>`select pg_catalog.to_regclass(${`${TOOL_SCHEMA}.rehearsals`}) is not null as ok`.execute(db)
  if (!present[0]?.ok) return []
  const { rows } = await sql<RecordedProof>`
    select distinct on (name, sha256) name, id, sha256, direction,
           to_char(proven_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as proven_at
    from ${sql.id(TOOL_SCHEMA, 'rehearsals')} order by name, sha256, proven_at desc`.execute(db)
  return rows
}
