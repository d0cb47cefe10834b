import { resolve } from 'node:path'
import type { LoadedConfig } from '../config/load-config.ts'
import type { CloneStrategy } from '../clone/clone.ts'
import { databaseOf, redact, withDatabase } from '../db/url.ts'
import { GovMigrateError, RefusedError } from '../errors.ts'
import { defaultCloneName } from '../guard/guard.ts'

/** Options every command accepts. */
export interface CommonOptions {
  url?: string
  config?: string
  json?: boolean
}

export interface CliContext {
  config: LoadedConfig
  json: boolean
  /** A progress line for a person, on stderr (never mixed into --json output). */
  progress: (line: string) => void
}

export async function cliContext(options: CommonOptions): Promise<CliContext> {
  // node-postgres, pg_dump and psql all read PGOPTIONS: session options from the environment.
  if (process.env.PGOPTIONS?.trim()) {
    throw new RefusedError(
      `refused: PGOPTIONS is set in the environment ("${process.env.PGOPTIONS}"): session options the tool does not set itself`,
      'unset PGOPTIONS; the tool sets its sessions up after connecting',
    )
  }
  const { loadConfig } = await import('../config/load-config.ts')
  const config = await loadConfig(options.config)
  return { config, json: options.json === true, progress: (line) => process.stderr.write(`• ${line}\n`) }
}

/** What a command's target database is for: the checks differ. */
export type TargetRole = 'production' | 'clone' | 'target' | 'server'

/**
 * A URL the user gave, checked before anything connects: it must be a PostgreSQL URL,
 * and a command that reads tables needs it to name a database other than the
 * maintenance database `postgres` (where there is nothing of ours to read).
 */
export function checkUrl(url: string, role: TargetRole, flag = '--url'): string {
  const shown = url.includes('@') ? redact(url) : url
  let database: string | undefined
  try {
    database = databaseOf(url)
  } catch (error) {
    if (!(error instanceof GovMigrateError && /names no database/.test(error.message))) {
      throw new GovMigrateError(`${flag} ${shown} is not a PostgreSQL URL`, 'write it as postgres://user[:password]@host:port/database', { cause: error })
    }
  }
  if (role === 'server') return url
  const example = role === 'production' ? 'directus' : defaultCloneName()
  const what = { production: 'the production database', clone: 'the marked clone', target: 'a marked clone or the production database' }[role]
  if (database === undefined) {
    throw new GovMigrateError(`${flag} ${shown} names no database`, `end it with ${what}, e.g. postgres://postgres@127.0.0.1:5432/${example}`)
  }
  if (['postgres', 'template0', 'template1'].includes(database)) {
    throw new GovMigrateError(`${flag} ${shown} names the maintenance database ${database}, not ${what}`, `end it with ${what} instead, e.g. …/${example}`)
  }
  return url
}

/**
 * The target: `--url`, else `DATABASE_URL`, else `url` of kysely.config.ts, else the
 * embedded server (started on demand) with the command's default database.
 */
export async function resolveUrl(ctx: CliContext, explicit: string | undefined, defaultDatabase: string, role: TargetRole = 'server'): Promise<string> {
  if (explicit) return checkUrl(explicit, role)
  const given = process.env.DATABASE_URL || ctx.config.url
  if (given) return checkUrl(given, role, process.env.DATABASE_URL ? 'DATABASE_URL' : 'url of kysely.config.ts')
  const { ensureEmbedded } = await import('../server/embedded.ts')
  const server = await ensureEmbedded({
    dataDir: resolve(ctx.config.root, ctx.config.embedded.dataDir),
    port: ctx.config.embedded.port,
    onProgress: ctx.progress,
  })
  return withDatabase(server, defaultDatabase)
}

export const PRODUCTION_DEFAULT = 'directus'

/**
 * The production channel: `--from`, else `productionUrl` of kysely.config.ts, else the
 * target server's directus (`--url` names the server here: the admin channel).
 */
export async function resolveProduction(ctx: CliContext, from: string | undefined, url: string | undefined): Promise<string> {
  if (from) return checkUrl(from, 'production', '--from')
  if (ctx.config.productionUrl) return checkUrl(ctx.config.productionUrl, 'production', 'productionUrl of kysely.config.ts')
  return withDatabase(await resolveUrl(ctx, url, PRODUCTION_DEFAULT), PRODUCTION_DEFAULT)
}

/**
 * The admin channel that creates clones and roles: `--url`, else `adminUrl`, else
 * DATABASE_URL, else `url` of kysely.config.ts, else the production URL's credentials.
 */
export function resolveAdmin(ctx: CliContext, url: string | undefined, production: string): string {
  return url || ctx.config.adminUrl || process.env.DATABASE_URL || ctx.config.url || production
}
export const cloneDefault = (): string => defaultCloneName()

let pending: { value: unknown } | undefined

/**
 * Writes a result: lines for people at once; for programs (--json) the value is kept
 * and printed by main() as the one JSON document, or inside the error document when
 * the command then fails.
 */
export function output(ctx: CliContext, value: unknown, lines: () => string[]): void {
  if (ctx.json) pending = { value }
  else process.stdout.write(`${lines().join('\n')}\n`)
}

/** The result kept for --json, once. */
export function takeResult(): { value: unknown } | undefined {
  const result = pending
  pending = undefined
  return result
}

/**
 * `--to <id>` as the command line gives it, checked while the flags are parsed (before anything
 * connects or is refused): an id that names nothing (`''`, spaces) is bad input, never "every stage".
 */
export function parseTo(text: string): string {
  if (text.trim() === '') throw new GovMigrateError('--to names no stage', 'pass a stage id such as --to A (or --to 0 for down), or leave --to out')
  return text
}

/** `--scale N`: a whole number ≥ 1, or a one-line error. */
export function parseScale(text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new GovMigrateError(`--scale ${text} is not a whole number ≥ 1`, 'pass --scale N, e.g. --scale 10')
  return n
}

const STRATEGIES: readonly CloneStrategy[] = ['auto', 'template', 'dump']

/** `--strategy`: auto, template or dump, or a one-line error. */
export function parseStrategy(text: string): CloneStrategy {
  const found = STRATEGIES.find((s) => s === text)
  if (!found) throw new GovMigrateError(`--strategy ${text} is not known`, 'use --strategy auto, template or dump')
  return found
}
