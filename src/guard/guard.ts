import { createHash } from 'node:crypto'
/**
 * The guard: small pure checks over facts read once per connection.
 * Nothing here touches a database; `connection-facts.ts` reads the facts.
 */

/** A clone's database name starts with exactly these characters (no LIKE wildcards). */
export const CLONE_PREFIX = 'directus_gov_test_'

/** The default clone name: the prefix and today's date (UTC) as YYYYMMDD. */
export function defaultCloneName(now = new Date()): string {
  return `${CLONE_PREFIX}${now.toISOString().slice(0, 10).replaceAll('-', '')}`
}

/** Clone-tier migrations run on marked clones only; production-tier ones anywhere, behind the ospa gate. */
export type Tier = 'clone' | 'production'

export interface CloneMarker {
  cloneName: string
  sourceDatabase: string
  createdAt: string
  /** A golden snapshot: a copy to reset clones from, never migrated itself. */
  golden: boolean
  /** The least-privilege role that owns the clone; every session on it logs in as this role. */
  writerRole: string | null
}

export interface ConnectionFacts {
  /** `pg_catalog.current_database()`, as the server reports it. */
  database: string
  /** The role the session is logged in as. */
  user: string
  superuser: boolean
  /** The row the clone command wrote, or null when the database has none. */
  marker: CloneMarker | null
}

/** True when `name` starts with exactly the clone prefix, compared character by character. */
export function hasClonePrefix(name: string): boolean {
  return name.length > CLONE_PREFIX.length && name.slice(0, CLONE_PREFIX.length) === CLONE_PREFIX
}

/** True when the database is a clone made by `migrate clone create` under this very name. */
export function isMarkedClone(facts: Pick<ConnectionFacts, 'database' | 'marker'>): boolean {
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
export function cloneRefusal(facts: Pick<ConnectionFacts, 'database' | 'marker'>): string | null {
  const refusal = markerRefusal(facts)
  if (refusal !== null) return refusal
  if (facts.marker?.golden) {
    return `database "${facts.database}" is a golden snapshot: it is only ever copied, never migrated (reset a clone from it)`
  }
  return null
}

/** A golden snapshot's name: its clone's and this suffix. */
export const GOLDEN_SUFFIX = '_golden'

/**
 * The least-privilege role a clone belongs to: `<clone>_writer`, or for a name too long for
 * that, its first characters and a hash (PostgreSQL names are at most 63 bytes). A golden
 * snapshot belongs to its clone's role.
 */
export function writerRoleName(clone: string): string {
  const plain = `${clone}_writer`
  if (plain.length <= 63) return plain
  return `${clone.slice(0, 63 - 15)}_w_${createHash('sha256').update(clone).digest('hex').slice(0, 12)}`
}

/**
 * The role every session on this database logs in as: the clone's own role when the
 * database is a marked clone or golden snapshot whose marker names exactly that role, else
 * null (the URL's own role; a marker forged into production names nobody the tool logs in as).
 */
export function cloneRole(facts: Pick<ConnectionFacts, 'database' | 'marker'>): string | null {
  return markerRefusal(facts) === null ? (facts.marker?.writerRole ?? null) : null
}

/** Every clone check but the golden one. */
function markerRefusal(facts: Pick<ConnectionFacts, 'database' | 'marker'>): string | null {
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
  if (facts.marker.writerRole === null) {
    return `database "${db}" was cloned before clones had their own least-privilege role (drop it and clone again)`
  }
  const base = facts.marker.golden && db.endsWith(GOLDEN_SUFFIX) ? db.slice(0, -GOLDEN_SUFFIX.length) : db
  if (facts.marker.writerRole !== writerRoleName(base)) {
    return `database "${db}" carries a marker naming the role "${facts.marker.writerRole}", not its own role "${writerRoleName(base)}"`
  }
  return null
}

/** The fix printed with every clone refusal. */
export const CLONE_FIX =
  'make a marked clone with `migrate clone create --from <production url>` and pass its URL with --url'
