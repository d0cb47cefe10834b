import { copyDatabase, databaseExists, openDatabase, withClient } from '../db/database.ts'
import { assertDatabaseName, databaseOf, ident, withDatabase } from '../db/url.ts'
import { GovMigrateError, RefusedError } from '../errors.ts'
import { CLONE_FIX, cloneRefusal, cloneRole } from '../guard/guard.ts'
import { TOOL_SCHEMA, readConnectionFacts } from '../guard/connection-facts.ts'
import { movedSinceCreation } from './catalog.ts'
import { ensureLogTables } from '../migrator/log-storage.ts'

/** The golden snapshot of a clone lives beside it under this suffix. */
export const GOLDEN = '_golden'

export function goldenName(clone: string): string {
  return assertDatabaseName(`${clone}${GOLDEN}`)
}

/** A session of ours may still be closing on the template: the copy is tried again at short intervals, for about 2 s. */
const CLOSING = { retries: 40, intervalMs: 50 }

async function setMarker(url: string, name: string, golden: boolean): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`update ${TOOL_SCHEMA}.clone_marker set clone_name = $1, golden = $2`, [name, golden])
    // A snapshot taken by an older version keeps an older log; the admin, its owner, brings it up
    // to date here (the clone's role may not alter it when a migration writes its entry).
    await ensureLogTables(client)
  })
}

/**
 * How the marked clone at `url` moved since it was made (`movedSinceCreation`, read through the
 * read-only channel): empty for a fresh clone. Migrations a clone of production carried from it
 * (tiers run there) are part of its fresh state; one it took down since is a change like one it ran.
 */
export async function cloneMoves(url: string): Promise<string[]> {
  const { db, close } = openDatabase(url, { policy: 'clone', readOnly: true, max: 1 })
  try {
    return await movedSinceCreation(db)
  } finally {
    await close()
  }
}

/**
 * Keeps a golden copy of a fresh clone (no migration applied): marked as golden, so it
 * is never migrated, only copied by `resetClone`. Replaces an older snapshot.
 */
export async function snapshotClone(url: string, confirm?: (what: string) => Promise<void>): Promise<string> {
  const facts = await withClient(url, readConnectionFacts)
  const refusal = cloneRefusal(facts)
  if (refusal) throw new RefusedError(`refused: ${refusal}`, CLONE_FIX)
  // The name the server reported and the guard checked, never one parsed again from the URL.
  const name = assertDatabaseName(facts.database)
  const applied = (await cloneMoves(url)).length
  if (applied > 0) {
    throw new GovMigrateError(`${name} has ${applied} applied migration(s); a golden snapshot is taken of a fresh clone`, `run \`migrate down --to 0 --url …/${name}\` first, or snapshot a new clone`)
  }
  const golden = goldenName(name)
  const admin = withDatabase(url, 'postgres')
  if (await withClient(admin, (client) => databaseExists(client, golden))) await confirm?.(`replace the golden snapshot ${golden}`)
  await withClient(admin, (client) => client.query(`drop database if exists ${ident(golden)} with (force)`))
  await withClient(admin, (client) => copyDatabase(client, name, golden, CLOSING))
  await setMarker(withDatabase(url, golden), golden, true)
  return golden
}

/** Recreates the clone from its golden snapshot: drop, copy, re-mark. */
export async function resetClone(url: string, confirm?: (what: string) => Promise<void>): Promise<{ name: string; ms: number }> {
  const started = Date.now()
  const admin = withDatabase(url, 'postgres')
  // A clone that exists is checked and named by its server; one that is gone, by its golden snapshot's marker.
  const facts = await withClient(url, readConnectionFacts).catch((error: unknown) => {
    if ((error as { cause?: { code?: string } }).cause?.code === '3D000') return null
    throw error
  })
  if (facts) {
    const refusal = cloneRefusal(facts)
    if (refusal) throw new RefusedError(`refused: ${refusal}`, CLONE_FIX)
  }
  const name = assertDatabaseName(facts?.database ?? databaseOf(url))
  const golden = goldenName(name)
  const goldenFacts = await withClient(withDatabase(url, golden), readConnectionFacts).catch((error: unknown) => {
    if ((error as { cause?: { code?: string } }).cause?.code === '3D000') {
      throw new GovMigrateError(`${name} has no golden snapshot (${golden})`, `take one of a fresh clone with \`migrate clone snapshot --url …/${name}\``)
    }
    throw error
  })
  const role = goldenFacts.marker?.golden ? cloneRole(goldenFacts) : null
  if (goldenFacts.database !== golden || role === null) {
    throw new RefusedError(`refused: ${golden} is not a golden snapshot made by \`migrate clone snapshot\``, `drop ${name} and clone again`)
  }
  await confirm?.(`drop ${name} and make it again from ${golden}`)
  // One admin session for the drop, the copy and the hand-over, as dropdb and createdb are one each.
  await withClient(admin, async (client) => {
    await client.query(`drop database if exists ${ident(name)} with (force)`)
    await copyDatabase(client, golden, name, CLOSING)
    await client.query(`alter database ${ident(name)} owner to ${ident(role)}`)
  })
  await setMarker(withDatabase(url, name), name, false)
  return { name, ms: Date.now() - started }
}
