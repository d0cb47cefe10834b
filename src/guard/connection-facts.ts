import type { CloneMarker, ConnectionFacts } from './guard.ts'

/** The subset of a pg client the facts reader needs. */
export interface Queryable {
  query<R>(sql: string, parameters?: ReadonlyArray<unknown>): Promise<{ rows: R[] }>
}

/** Schema of the tool's own tables (marker, migration log) inside the target database. */
export const TOOL_SCHEMA = 'gov_migrate'

/** The approvals table the ospa gate reads, schema-qualified. */
export const APPROVALS_SCHEMA = 'public'
export const APPROVALS_TABLE = 'os_proposal_approvals'
export const APPROVALS = `${APPROVALS_SCHEMA}.${APPROVALS_TABLE}`

interface FactsRow {
  database: string
  user: string
  superuser: boolean
  has_marker: boolean
}

interface MarkerJson {
  clone_name: string
  source_db: string
  created_at: string
  golden: boolean
  /** Absent in markers written before clones had their own role. */
  writer_role?: string | null
}

/**
 * Reads the guard's facts. Every name is schema-qualified (`pg_catalog.current_database()`,
 * `gov_migrate.clone_marker`), so no function or table a database defines can stand in for
 * them whatever its search path. The marker is read as JSON so that a marker without a
 * newer column still reads. The marker table exists on clones only, so its presence is
 * checked first (a statement naming a missing table fails at parse).
 */
export async function readConnectionFacts(client: Queryable): Promise<ConnectionFacts> {
  const { rows } = await client.query<FactsRow>(
    `select pg_catalog.current_database() as database, current_user as user,
            (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user) as superuser,
            pg_catalog.to_regclass('${TOOL_SCHEMA}.clone_marker') is not null as has_marker`,
  )
  const row = rows[0]
  if (!row) throw new Error('connection facts query returned no row')
  let marker: CloneMarker | null = null
  if (row.has_marker) {
    const found = await client.query<{ m: MarkerJson }>(
      `select pg_catalog.to_jsonb(m) as m from ${TOOL_SCHEMA}.clone_marker m order by m.created_at limit 1`,
    )
    const m = found.rows[0]?.m
    if (m) {
      marker = {
        cloneName: m.clone_name,
        sourceDatabase: m.source_db,
        createdAt: m.created_at,
        golden: m.golden,
        writerRole: m.writer_role ?? null,
      }
    }
  }
  return { database: row.database, user: row.user, superuser: row.superuser, marker }
}
