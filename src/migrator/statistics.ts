import { sql, type QueryExecutorProvider } from 'kysely'
import { APPROVALS_TABLE } from '../guard/connection-facts.ts'

/**
 * The tables of the public schema the session's role may analyze, with the rows its transaction
 * has changed in each so far (`pg_stat_xact_user_tables`: this transaction alone, whatever steps
 * it held before). Read before a migration's body: `analyzeChangedTables` compares with it.
 */
export type TableChanges = ReadonlyMap<number, number>

const TABLES = sql`
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  left join pg_catalog.pg_stat_xact_user_tables x on x.relid = c.oid
  where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname <> ${APPROVALS_TABLE}
    and pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')`

export async function readTableChanges(db: QueryExecutorProvider): Promise<TableChanges> {
  const { rows } = await sql<{ oid: number; changed: string }>`
    select c.oid::int as oid, coalesce(x.n_tup_ins + x.n_tup_upd + x.n_tup_del, 0)::bigint as changed ${TABLES}`.execute(db)
  return new Map(rows.map((r) => [r.oid, Number(r.changed)]))
}

/**
 * Analyzes, in the migration's transaction and after its body, the tables whose statistics the
 * body made wrong, so its measurement and the next step plan with real row counts: the tables
 * it made (none existed before it), and on a clone the tables it changed by more than
 * autovacuum's analyze threshold (50 rows + 10 % of what the planner thinks they hold), counted
 * for this body alone. Autovacuum cannot do it: it sees no uncommitted row, and comes later.
 * Without it the planner keeps the old counts, and the views over a table a stage fills (the
 * owner gap over the anchors A seeds, the axis coverage, the drift findings) are planned as
 * nested scans whose cost grows with the square of the scale, paid by every measurement and
 * every next step. ANALYZE sees the transaction's own uncommitted rows.
 *
 * Tables that existed before are analyzed on a clone only: statistics are written in place, so a
 * step that then rolls back (a refused tier, a dry run) would leave production's planner counting
 * rows that never were, and an app's tables are none of a tier's business. Only the session's own
 * tables, never the approvals table. Returns their names.
 */
export async function analyzeChangedTables(db: QueryExecutorProvider, before: TableChanges, existingToo: boolean): Promise<string[]> {
  const { rows } = await sql<{ oid: number; name: string; changed: string; planned: number }>`
    select c.oid::int as oid, c.relname as name, coalesce(x.n_tup_ins + x.n_tup_upd + x.n_tup_del, 0)::bigint as changed,
           greatest(c.reltuples, 0)::float8 as planned ${TABLES}
    order by c.relname`.execute(db)
  const stale = rows.filter((r) => {
    const earlier = before.get(r.oid)
    if (earlier === undefined) return true
    return existingToo && Number(r.changed) - earlier > 50 + 0.1 * r.planned
  })
  if (stale.length > 0) await sql`analyze ${sql.join(stale.map((r) => sql.id('public', r.name)))}`.execute(db)
  return stale.map((r) => r.name)
}
