/**
 * The guard: small pure checks over facts read once per connection.
 * Nothing here touches a database; `connection-facts.ts` reads the facts.
 */

/** A clone's database name starts with exactly these characters (no LIKE wildcards). */
export const CLONE_PREFIX = 'directus_gov_test_'

/** Clone-tier migrations run on marked clones only; production-tier ones anywhere, behind the ospa gate. */
export type Tier = 'clone' | 'production'

export interface CloneMarker {
  cloneName: string
  sourceDatabase: string
  createdAt: string
  /** A golden snapshot: a copy to reset clones from, never migrated itself. */
  golden: boolean
}

export interface ConnectionFacts {
  database: string
  /** The row the clone command wrote, or null when the database has none. */
  marker: CloneMarker | null
}

/** True when `name` starts with exactly the clone prefix, compared character by character. */
export function hasClonePrefix(name: string): boolean {
  return name.length > CLONE_PREFIX.length && name.slice(0, CLONE_PREFIX.length) === CLONE_PREFIX
}

/** True when the database is a clone made by `migrate clone create` under this very name. */
export function isMarkedClone(facts: ConnectionFacts): boolean {
  return cloneRefusal(facts) === null
}

/**
 * Why a clone-tier migration may not run here, or null when it may.
 *
 * ### Examples
 * ```ts
 * cloneRefusal({ database: 'directus', marker: null })
 * // => 'database "directus" is not a clone: its name does not start with "directus_gov_test_"'
 * ```
 */
export function cloneRefusal(facts: ConnectionFacts): string | null {
  const db = facts.database
  if (!hasClonePrefix(db)) {
    return `database "${db}" is not a clone: its name does not start with "${CLONE_PREFIX}"`
  }
  if (facts.marker === null) {
    return `database "${db}" has the clone prefix but no clone marker (it was not made by \`migrate clone create\`)`
  }
  if (facts.marker.cloneName !== db) {
    return `database "${db}" carries the marker of clone "${facts.marker.cloneName}" (it was copied or renamed)`
  }
  if (facts.marker.golden) {
    return `database "${db}" is a golden snapshot: it is only ever copied, never migrated (reset a clone from it)`
  }
  return null
}

/** The fix printed with every clone refusal. */
export const CLONE_FIX =
  'make a marked clone with `migrate clone create --from <production url>` and pass its URL with --url'
