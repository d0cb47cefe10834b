import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { up } from 'empathic/find'
import { configSchema, type MigrateConfig } from './define-config.ts'
import { GovMigrateError } from '../errors.ts'
import { importTs } from '../loader/import-ts.ts'
import type { FingerprintSettings } from '../fingerprint/fingerprint.ts'

/** The configuration file's name; the nearest one from the working folder up is the project's. */
export const CONFIG_FILE = 'kysely.config.ts'

export interface LoadedConfig extends MigrateConfig {
  /** Folder the config file sits in; relative paths resolve against it. */
  root: string
}

/**
 * Validates a raw configuration object; every problem is reported with its path.
 */
export function parseConfig(raw: unknown, root: string, source = CONFIG_FILE): LoadedConfig {
  const result = configSchema.safeParse(raw ?? {})
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ')
    throw new GovMigrateError(
      `${source} is invalid: ${problems}`,
      `correct ${source} (see README "Configuration"); nothing was run`,
    )
  }
  return { ...result.data, root }
}

/** The nearest `kysely.config.ts` from `cwd` up (as git finds .git), or undefined. */
export function findConfig(cwd: string): string | undefined {
  return up(CONFIG_FILE, { cwd })
}

/**
 * Loads and validates the configuration: `file` when given (it must exist), else the
 * nearest `kysely.config.ts` from `cwd` up, else the defaults rooted at `cwd`.
 */
export async function loadConfig(file?: string, cwd = resolve('.')): Promise<LoadedConfig> {
  if (file !== undefined && !existsSync(file)) {
    throw new GovMigrateError(`the configuration file ${file} does not exist`, `pass an existing file to --config, or leave --config out to use the nearest ${CONFIG_FILE}`)
  }
  const found = file !== undefined ? resolve(file) : findConfig(cwd)
  if (found === undefined) return parseConfig({}, cwd)
  let mod: { default?: unknown }
  try {
    mod = (await importTs(found)) as { default?: unknown }
  } catch (error) {
    throw new GovMigrateError(
      `${found} cannot be loaded: ${error instanceof Error ? error.message : String(error)}`,
      `correct ${found} at the place named (its syntax or imports); nothing was run`,
      { cause: error },
    )
  }
  return parseConfig(mod.default, dirname(found), found)
}

/** The fingerprint settings of a configuration: proposal, governance objects, health threshold. */
export function fingerprintSettings(config: LoadedConfig): FingerprintSettings {
  return { proposal: config.ratificationProposal, governanceObjects: config.fingerprint.governanceObjects, healthThresholdMs: config.fingerprint.healthThresholdMs }
}
