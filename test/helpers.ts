import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { after } from 'node:test'
import { loadConfig, type LoadedConfig } from '../src/config/load-config.ts'
import { ensureEmbedded } from '../src/server/embedded.ts'
import { withClient } from '../src/db/database.ts'
import { ident, withDatabase } from '../src/db/url.ts'
import { writerRoleName } from '../src/db/clone-role.ts'
import { createFixture } from '../src/fixture/fixture.ts'
import { createClone, fingerprintOf } from '../src/clone/clone.ts'
import type { Fingerprint } from '../src/fingerprint/fingerprint.ts'

export const ROOT = resolve(import.meta.dirname, '..')
export const PROPOSAL = 'APR-BOOT-AUTHMODEL-1'

let server: string | undefined

/** The server under test: TEST_SERVER_URL (set by `npm test`), else the embedded one. */
export async function serverUrl(): Promise<string> {
  if (server) return server
  if (process.env.TEST_SERVER_URL) return (server = process.env.TEST_SERVER_URL)
  const config = await loadConfig(resolve(ROOT, 'kysely.config.ts'))
  server = await ensureEmbedded({ dataDir: resolve(ROOT, config.embedded.dataDir), port: config.embedded.port })
  return server
}

export async function repoConfig(): Promise<LoadedConfig> {
  return loadConfig(resolve(ROOT, 'kysely.config.ts'))
}

let counter = 0
const created: string[] = []

/** A database name unique to this process and call. */
export function uniqueName(prefix: string): string {
  counter += 1
  return `${prefix}${process.pid}_${counter}`
}

/** Registers a database to drop when the test file ends. */
export function dropLater(database: string): void {
  created.push(database)
}

/**
 * Drops the databases of this file, then the clone roles they made (roles are cluster-wide:
 * a server reused by many runs must not collect them). A golden snapshot's role is its clone's.
 */
after(async () => {
  if (!server || created.length === 0) return
  await withClient(withDatabase(server, 'postgres'), async (client) => {
    for (const name of created.reverse()) await client.query(`drop database if exists ${ident(name)} with (force)`)
    for (const name of created) {
      for (const role of [writerRoleName(name), writerRoleName(name.replace(/_golden$/, ''))]) {
        await client.query(`drop role if exists ${ident(role)}`).catch(() => undefined)
      }
    }
  })
})

/** A fresh production stand-in at `scale`; returns its URL. */
export async function standIn(scale = 1): Promise<string> {
  const name = uniqueName('directus_t')
  const url = withDatabase(await serverUrl(), name)
  dropLater(name)
  await createFixture({ url, scale })
  return url
}

/** A fresh marked clone of `from`; returns its URL. */
export async function markedClone(from: string): Promise<string> {
  const name = uniqueName('directus_gov_test_t')
  dropLater(name)
  return (await createClone({ from, name, proposal: PROPOSAL })).url
}

export function fingerprint(url: string): Promise<Fingerprint> {
  return fingerprintOf(url, PROPOSAL)
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the real CLI (`bin/migrate.js`) in a child process. */
export function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(ROOT, 'bin/migrate.js'), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, DATABASE_URL: '', ...options.env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', fail)
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }))
  })
}

/** A single value from a database. */
export async function scalar<T>(url: string, query: string, params: unknown[] = []): Promise<T> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ v: T }>(query, params)
    return rows[0]?.v as T
  })
}
