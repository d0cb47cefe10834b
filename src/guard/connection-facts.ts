import type { CloneMarker, ConnectionFacts } from './guard.ts'

/** The subset of a pg client the facts reader needs. */
export interface Queryable {
  query<R>(sql: string, parameters?: ReadonlyArray<unknown>): Promise<{ rows: R[] }>
}

/** Schema of the tool's own tables (marker, migration log) inside the target database. */
export const TOOL_SCHEMA = 'gov_migrate'

interface FactsRow {
  database: string
  has_marker: boolean
}

interface MarkerRow {
  clone_name: string
  source_db: string
  created_at: string
  golden: boolean
}

/**
 * Reads the guard's facts. The marker table exists on clones only, so its
 * presence is checked first (a statement naming a missing table fails at parse).
 */
export async function readConnectionFacts(client: Queryable): Promise<ConnectionFacts> {
  const { rows } = await client.query<FactsRow>(
    `select current_database() as database, to_regclass('${TOOL_SCHEMA}.clone_marker') is not null as has_marker`,
  )
  const row = rows[0]
  if (!row) throw new Error('connection facts query returned no row')
  let marker: CloneMarker | null = null
  if (row.has_marker) {
    const found = await client.query<MarkerRow>(
      `select clone_name, source_db, created_at::text, golden from ${TOOL_SCHEMA}.clone_marker order by created_at limit 1`,
    )
    const m = found.rows[0]
    if (m) marker = { cloneName: m.clone_name, sourceDatabase: m.source_db, createdAt: m.created_at, golden: m.golden }
  }
  return { database: row.database, marker }
}
