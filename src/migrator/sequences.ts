import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { TOOL_SCHEMA } from '../guard/connection-facts.ts'

/** A sequence's state: `setval(name, value, called)` restores it exactly. */
export interface SequenceState {
  value: string
  called: boolean
}

export type SequenceStates = Record<string, SequenceState>

/** Every sequence of the user schemas (the tool's own excluded) with its state, read in one statement. */
export async function readSequences(db: Kysely<DB>): Promise<SequenceStates> {
  const { rows: seqs } = await sql<{ qname: string }>`
    select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as qname
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'S' and n.nspname not in ('pg_catalog', 'information_schema', ${TOOL_SCHEMA}) and n.nspname !~ '^pg_'
      -- only what this role may read and set back (a clone's role may not touch the approvals' sequence)
      and case when c.relkind = 'S' then pg_catalog.has_sequence_privilege(c.oid, 'SELECT') and pg_catalog.has_sequence_privilege(c.oid, 'UPDATE') end
    order by 1`.execute(db)
  if (seqs.length === 0) return {}
  const reads = seqs.map((s) => sql`select ${s.qname} as name, last_value::text as value, is_called as called from ${sql.raw(s.qname)}`)
  const { rows } = await sql<{ name: string; value: string; called: boolean }>`${sql.join(reads, sql` union all `)}`.execute(db)
  return Object.fromEntries(rows.map((r) => [r.name, { value: r.value, called: r.called }]))
}

/** The sequences that moved between two readings (that existed before), with their earlier state. */
export function movedSequences(before: SequenceStates, after: SequenceStates): SequenceStates {
  return Object.fromEntries(
    Object.entries(before).filter(([name, state]) => {
      const now = after[name]
      return now !== undefined && (now.value !== state.value || now.called !== state.called)
    }),
  )
}

/**
 * Sets each sequence back to its state before an `up` (a sequence is not transactional: a
 * `down` that deletes the rows leaves it advanced). A sequence whose column holds a value past
 * that state (another session used it since) is left alone and named. With `onlyOf` (production,
 * where a live app draws from its own sequences and may hold a value it has not committed yet),
 * only sequences owned by those tables are touched: the governance tables no app writes.
 */
export async function restoreSequences(db: Kysely<DB>, states: SequenceStates, onlyOf?: readonly string[]): Promise<string[]> {
  const skipped: string[] = []
  for (const [name, state] of Object.entries(states)) {
    const { rows: owners } = await sql<{ tbl: string; col: string; bare: string }>`
      select d.refobjid::regclass::text as tbl, quote_ident(a.attname) as col, c.relname::text as bare
      from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
        join pg_class c on c.oid = d.refobjid
      where d.classid = 'pg_class'::regclass and d.objid = to_regclass(${name}) and d.refclassid = 'pg_class'::regclass
        and d.deptype in ('a', 'i')`.execute(db)
    if (onlyOf && !owners.some((o) => onlyOf.includes(o.bare))) continue
    let used = false
    for (const owner of owners) {
      const { rows } = await sql<{ used: boolean }>`
        select exists (select 1 from ${sql.raw(owner.tbl)} where ${sql.raw(owner.col)} > ${state.value}::bigint) as used`.execute(db)
      used ||= rows[0]?.used === true
    }
    if (used) {
      skipped.push(name)
      continue
    }
    await sql`select setval(${name}::regclass, ${state.value}::bigint, ${state.called})`.execute(db)
  }
  return skipped
}
