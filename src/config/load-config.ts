import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { configSchema, type MigrateConfig } from './define-config.ts'
import { GovMigrateError } from '../errors.ts'

export interface LoadedConfig extends MigrateConfig {
  /** Folder the config file sits in; relative paths resolve against it. */
  root: string
}

/**
 * Validates a raw configuration object; every problem is reported with its path.
 */
export function parseConfig(raw: unknown, root: string, source = 'kysely.config.ts'): LoadedConfig {
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

/** Loads and validates `kysely.config.ts` from `root` (or the given file); missing file means defaults. */
export async function loadConfig(file = resolve('kysely.config.ts')): Promise<LoadedConfig> {
  const root = dirname(file)
  if (!existsSync(file)) return parseConfig({}, root)
  let mod: { default?: unknown }
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown }
  } catch (error) {
    throw new GovMigrateError(
      `${file} cannot be loaded: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      `make ${file} load (check its syntax and imports); nothing was run`,
      { cause: error },
    )
  }
  return parseConfig(mod.default, root, file)
}
