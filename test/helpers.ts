import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import assert from 'node:assert/strict'
import { join, resolve } from 'node:path'
import { after } from 'node:test'
import { loadConfig, type LoadedConfig } from '../src/config/load-config.ts'
import { ensureEmbedded } from '../src/server/embedded.ts'
import { withClient } from '../src/db/database.ts'
import { ident, withDatabase } from '../src/db/url.ts'
import { writerRoleName } from '../src/db/clone-role.ts'
import { buildStandInTemplate, copyStandIn, TEMPLATE_ENV } from '../scripts/stand-in-template.ts'
import { createClone } from '../src/clone/clone.ts'
import { fingerprintOf } from '../src/fingerprint/read.ts'
import type { Fingerprint } from '../src/fingerprint/fingerprint.ts'
import { metricsWith, type MetricDefinition } from '../src/fingerprint/metrics.ts'
import { migrationsOf } from '../src/migrator/migrator.ts'

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

/** Every number the pipeline measures: the tool's and those the repository's stages define. */
export async function pipelineMetrics(): Promise<MetricDefinition[]> {
  return metricsWith(await migrationsOf(await repoConfig()))
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

/** Stand-in templates this process built, by scale (scale 1 comes from `npm test` when it set TEST_STANDIN_TEMPLATE). */
const templates = new Map<number, Promise<string>>()

function standInTemplate(server: string, scale: number): Promise<string> {
  const given = process.env[TEMPLATE_ENV]
  if (scale === 1 && given) return Promise.resolve(given)
  let template = templates.get(scale)
  if (!template) {
    const name = uniqueName(`directus_template_s${scale}_`)
    dropLater(name)
    template = buildStandInTemplate(server, name, scale).then(() => name)
    templates.set(scale, template)
  }
  return template
}

/**
 * A fresh production stand-in at `scale`; returns its URL. It is a copy of one built by
 * `createFixture` for the run (scripts/stand-in-template.ts): the same database, made in a
 * fraction of the time.
 */
export async function standIn(scale = 1): Promise<string> {
  const server = await serverUrl()
  const template = await standInTemplate(server, scale)
  const name = uniqueName('directus_t')
  dropLater(name)
  await copyStandIn(server, template, name)
  return withDatabase(server, name)
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

/** dist/ as `npm install` builds it (scripts/build.ts); rebuilt here only when src/ is newer. */
export function ensureBuilt(): void {
  const built = join(ROOT, 'dist', 'index.js')
  const newest = readdirSync(join(ROOT, 'src'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((t, e) => Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs), 0)
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: ROOT, encoding: 'utf8' })
  assert.equal(result.status, 0, result.stdout)
}
