import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { LoadedConfig } from '../config/load-config.ts'
import type { LoadedMigration } from '../migrator/load-migrations.ts'

/**
 * The generated schema types, one file per migration (the schema it runs on: everything
 * before it plus what it creates, i.e. kysely-codegen on a clone right after its `up`), and
 * one for the baseline every track starts from. The schema *before* a migration is the
 * file of the previous migration of its track, or the baseline.
 */
export const BASELINE_FILE = '0000-baseline.ts'

/** `0006-AX.ts` for `0006-AX-axis-substrate`. */
export function schemaFileName(m: LoadedMigration): string {
  return `${m.name.slice(0, 4)}-${m.migration.id}.ts`
}

export function schemaDirOf(config: LoadedConfig): string {
  return resolve(config.root, config.schemaDir)
}

/** The schema file `m` runs on, and the one before it (previous of its track, or the baseline). */
export function schemaFilesAround(loaded: readonly LoadedMigration[], m: LoadedMigration): { before: string; after: string } {
  const track = loaded.filter((l) => l.migration.tier === m.migration.tier)
  const previous = track[track.findIndex((l) => l.name === m.name) - 1]
  return { before: previous ? schemaFileName(previous) : BASELINE_FILE, after: schemaFileName(m) }
}

/** The text of a generated schema file, or undefined when it has not been generated. */
export function readSchemaFile(config: LoadedConfig, file: string): string | undefined {
  const path = join(schemaDirOf(config), file)
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined
}
