import { resolve } from 'node:path'
import { loadConfig, type LoadedConfig } from '../config/load-config.ts'
import { ensureEmbedded } from '../server/embedded.ts'
import { withDatabase } from '../db/url.ts'
import { defaultCloneName, type CloneStrategy } from '../clone/clone.ts'
import { GovMigrateError, RefusedError } from '../errors.ts'

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
  const config = await loadConfig(resolve(options.config ?? 'kysely.config.ts'))
  return { config, json: options.json === true, progress: (line) => process.stderr.write(`• ${line}\n`) }
}

/**
 * The target: `--url`, else `DATABASE_URL`, else `url` of kysely.config.ts, else the
 * embedded server (started on demand) with the command's default database.
 */
export async function resolveUrl(ctx: CliContext, explicit: string | undefined, defaultDatabase: string): Promise<string> {
  const given = explicit || process.env.DATABASE_URL || ctx.config.url
  if (given) return given
  const server = await ensureEmbedded({
    dataDir: resolve(ctx.config.root, ctx.config.embedded.dataDir),
    port: ctx.config.embedded.port,
    onProgress: ctx.progress,
  })
  return withDatabase(server, defaultDatabase)
}

export const PRODUCTION_DEFAULT = 'directus'

/** The production channel: `--from`, else `productionUrl` of kysely.config.ts, else the target's directus. */
export async function resolveProduction(ctx: CliContext, from: string | undefined, url: string | undefined): Promise<string> {
  return from ?? ctx.config.productionUrl ?? (await resolveUrl(ctx, url, PRODUCTION_DEFAULT))
}

/**
 * The admin channel that creates clones and roles: `--url`, else `adminUrl`, else
 * DATABASE_URL, else `url` of kysely.config.ts, else the production URL's credentials.
 */
export function resolveAdmin(ctx: CliContext, url: string | undefined, production: string): string {
  return url || ctx.config.adminUrl || process.env.DATABASE_URL || ctx.config.url || production
}
export const cloneDefault = (): string => defaultCloneName()

/** Writes a result: JSON for programs, lines for people. */
export function output(ctx: CliContext, value: unknown, lines: () => string[]): void {
  process.stdout.write(ctx.json ? `${JSON.stringify(value, null, 2)}\n` : `${lines().join('\n')}\n`)
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
