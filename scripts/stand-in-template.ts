import { copyDatabase, withClient } from '../src/db/database.ts'
import { ident, withDatabase } from '../src/db/url.ts'
import { createFixture } from '../src/fixture/fixture.ts'

/**
 * The production stand-in, built once by `createFixture` and copied for each test
 * (`CREATE DATABASE … TEMPLATE`: 0.2–0.4 s against 1.4 s or more for building one at scale 1).
 * No module of node:test here: `npm test` (scripts/test.ts) builds the scale-1 template before
 * the test files start, hands its name over in TEST_STANDIN_TEMPLATE, and drops it at the end.
 */
export const TEMPLATE_ENV = 'TEST_STANDIN_TEMPLATE'

/**
 * Builds the stand-in `name` at `scale` on `server` as `migrate fixture` does, and closes it to
 * connections: a session on a template makes every copy of it fail (55006), and autovacuum does
 * not visit a database that allows none. Its copies allow connections as any database does.
 */
export async function buildStandInTemplate(server: string, name: string, scale: number): Promise<void> {
  await createFixture({ url: withDatabase(server, name), scale })
  await withClient(withDatabase(server, 'postgres'), (admin) => admin.query(`alter database ${ident(name)} allow_connections false`))
}

/** A copy of the stand-in template `template` named `name`, with its comment (what marks a stand-in `migrate fixture` made). */
export async function copyStandIn(server: string, template: string, name: string): Promise<void> {
  await withClient(withDatabase(server, 'postgres'), async (admin) => {
    // The session that built the template may still be closing (55006): it goes within moments.
    await copyDatabase(admin, template, name, { retries: 25, intervalMs: 200 })
    const { rows } = await admin.query<{ comment: string | null }>(`select shobj_description(oid, 'pg_database') as comment from pg_database where datname = $1`, [template])
    const comment = rows[0]?.comment ?? null
    if (comment !== null) await admin.query(`comment on database ${ident(name)} is ${admin.escapeLiteral(comment)}`)
  })
}

/** Drops a template this run built (it allows no connection, so nobody holds it). */
export async function dropStandInTemplate(server: string, name: string): Promise<void> {
  await withClient(withDatabase(server, 'postgres'), (admin) => admin.query(`drop database if exists ${ident(name)}`))
}
