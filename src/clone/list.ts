import { openDatabase, withClient } from '../db/database.ts'
import { withDatabase } from '../db/url.ts'
import { CLONE_PREFIX, cloneRefusal } from '../guard/guard.ts'
import { readConnectionFacts } from '../guard/connection-facts.ts'
import { readLog } from '../migrator/log-storage.ts'

export interface CloneRow {
  name: string
  source: string | null
  created: string | null
  bytes: number
  /** ok, golden, or why the guard would refuse it. */
  marker: string
  /** Ids of the applied migrations, in order. */
  stages: string[]
}

/** Every database with the clone prefix on the server of `url`, read-only. */
export async function listClones(url: string): Promise<CloneRow[]> {
  const databases = await withClient(withDatabase(url, 'postgres'), async (client) => {
    const { rows } = await client.query<{ datname: string; bytes: string }>(
      `select datname, pg_database_size(oid)::bigint as bytes from pg_database
       where left(datname, length($1)) = $1 and datallowconn order by datname`,
      [CLONE_PREFIX],
    )
    return rows
  })
  const rows: CloneRow[] = []
  for (const d of databases) {
    const target = withDatabase(url, d.datname)
    try {
      const facts = await withClient(target, readConnectionFacts)
      const refusal = cloneRefusal(facts)
      const { db, close } = openDatabase(target, { policy: 'any', readOnly: true, max: 1 })
      let stages: string[]
      try {
        stages = (await readLog(db)).map((e) => e.id)
      } finally {
        await close()
      }
      rows.push({
        name: d.datname,
        source: facts.marker?.sourceDatabase ?? null,
        created: facts.marker?.createdAt ?? null,
        bytes: Number(d.bytes),
        marker: facts.marker?.golden ? 'golden' : refusal === null ? 'ok' : refusal.replace(/^database "[^"]+" /, ''),
        stages,
      })
    } catch (error) {
      // Dropped meanwhile, or a marker this version cannot read: say so, list the rest.
      rows.push({ name: d.datname, source: null, created: null, bytes: Number(d.bytes), marker: `unreadable: ${error instanceof Error ? error.message : String(error)}`, stages: [] })
    }
  }
  return rows
}
