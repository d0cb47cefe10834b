import { sql, type QueryExecutorProvider } from 'kysely'
import { APPROVALS_TABLE } from '../guard/connection-facts.ts'

/**
 * Analyzes the tables of the public schema that have never been analyzed: the ones the
 * migration just made and filled. Without their statistics the planner takes each for
 * ten pages of unknown values, and the views over them (the axis coverage, the drift
 * findings) are planned as nested scans whose cost grows with the square of the scale.
 * Runs in the migration's transaction (ANALYZE sees its uncommitted rows) after its body,
 * so the measurement and the next step plan with real row counts. Only the session's own
 * tables: never the approvals table (a dump-made clone has no statistics anywhere yet, and the
 * clone's role may not touch that table). Returns their names.
 */
export async function analyzeNewTables(db: QueryExecutorProvider): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and c.reltuples < 0
      and c.relname <> ${APPROVALS_TABLE} and pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')
    order by c.relname`.execute(db)
  if (rows.length > 0) await sql`analyze ${sql.join(rows.map((r) => sql.id('public', r.name)))}`.execute(db)
  return rows.map((r) => r.name)
}
