import { sql, type QueryExecutorProvider } from 'kysely'
import { APPROVALS_TABLE } from '../guard/connection-facts.ts'

/**
 * Analyzes, in the migration's transaction and after its body, the tables of the public schema
 * whose statistics the body made wrong: the ones it made (never analyzed), and the ones it
 * changed by more than autovacuum's analyze threshold (50 rows + 10 % of what the planner
 * thinks they hold), counted by the server for this transaction alone
 * (`pg_stat_xact_user_tables`). Autovacuum cannot do it: it sees no uncommitted row, and comes
 * later. Without it the planner keeps the old row counts; the views over a table A fills (the
 * owner gap over the ownership anchors, the axis coverage, the drift findings) are then planned
 * as nested scans whose cost grows with the square of the scale, paid by every measurement and
 * every next step. ANALYZE sees the transaction's own uncommitted rows. Only the session's own
 * tables: never the approvals table (the clone's role may not touch it). Returns their names.
 */
export async function analyzeChangedTables(db: QueryExecutorProvider): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    left join pg_stat_xact_user_tables x on x.relid = c.oid
    where n.nspname = 'public' and c.relkind in ('r', 'p')
      and (c.reltuples < 0 or coalesce(x.n_tup_ins + x.n_tup_upd + x.n_tup_del, 0) > 50 + 0.1 * c.reltuples)
      and c.relname <> ${APPROVALS_TABLE} and pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')
    order by c.relname`.execute(db)
  if (rows.length > 0) await sql`analyze ${sql.join(rows.map((r) => sql.id('public', r.name)))}`.execute(db)
  return rows.map((r) => r.name)
}
