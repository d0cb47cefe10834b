import { readdir } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { GovMigrateError } from '../errors.ts'
import type { GovMigration } from './migration.ts'
import type { LoadedConfig } from '../config/load-config.ts'
import { ImportError, importTsAll } from '../loader/import-ts.ts'
import { moduleClosures } from './module-closure.ts'

/** A migration file, loaded and checked. */
export interface LoadedMigration {
  /** File name without extension; the key in the migration log. */
  name: string
  file: string
  /**
   * sha256 of the migration's module closure: its file and every project module it
   * imports, transitively (packages excluded). Kept in the log to detect edits after apply.
   */
  sha256: string
  /** The closure: project-relative path → sha256 of the file, kept in the log to name what changed. */
  modules: Record<string, string>
  migration: GovMigration
}

const FILE = /^\d{4}-[A-Za-z0-9-]+\.ts$/

function problemsOf(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['it has no default export from defineMigration(...)']
  const m = value as Partial<Record<keyof GovMigration, unknown>>
  const problems: string[] = []
  if (typeof m.id !== 'string' || !/^[A-Z][A-Z0-9]*$/.test(m.id)) problems.push('id must be like A, B or T1')
  if (typeof m.title !== 'string' || m.title.length === 0) problems.push('title is missing')
  if (m.tier !== 'clone' && m.tier !== 'production') problems.push("tier must be 'clone' or 'production'")
  if (m.tier === 'production' && (typeof m.ratificationProposal !== 'string' || m.ratificationProposal.trim() === '')) {
    problems.push('a production tier declares ratificationProposal, the proposal whose approvals open its gate')
  }
  for (const fn of ['expect', 'up', 'down'] as const) {
    if (typeof m[fn] !== 'function') problems.push(`${fn} must be a function`)
  }
  return problems
}

/**
 * Loads every `NNNN-name.ts` file of `dir` in name order and hashes each one's module
 * closure (paths relative to `root`, the project). A file that does not load, or whose
 * default export is not a whole migration, stops everything.
 */
export async function loadMigrations(dir: string, root: string = dirname(resolve(dir))): Promise<LoadedMigration[]> {
  const folder = resolve(dir)
  let entries: string[]
  try {
    entries = (await readdir(folder)).filter((f) => FILE.test(f)).sort()
  } catch (error) {
    throw new GovMigrateError(`cannot read the migrations folder ${folder}`, 'set migrationsDir in kysely.config.ts', {
      cause: error,
    })
  }
  const files = entries.map((entry) => join(folder, entry))
  const closures = await moduleClosures(resolve(root), files)
  let modules: { default?: unknown }[]
  try {
    // All at once: one module graph, so a module two migrations import is one module.
    modules = (await importTsAll(files)) as { default?: unknown }[]
  } catch (error) {
    const file = error instanceof ImportError ? error.file : (files[0] ?? folder)
    throw new GovMigrateError(
      `migration ${basename(file)} does not load: ${error instanceof Error ? error.message : String(error)}`,
      `fix or remove ${file}; nothing was run`,
      { cause: error },
    )
  }
  const loaded: LoadedMigration[] = []
  for (const [i, entry] of entries.entries()) {
    const file = join(folder, entry)
    const name = entry.replace(/\.ts$/, '')
    const mod = modules[i] ?? {}
    const problems = problemsOf(mod.default)
    if (problems.length > 0) {
      throw new GovMigrateError(
        `migration ${entry} is incomplete: ${problems.join('; ')}`,
        `finish ${file} with \`export default defineMigration({ id, title, tier, expect, up, down })\`; nothing was run`,
      )
    }
    const closure = closures.get(file)
    if (!closure) throw new Error(`no module closure for ${file}`)
    loaded.push({ name, file, sha256: closure.sha256, modules: closure.modules, migration: mod.default as GovMigration })
  }
  const seen = new Map<string, string>()
  for (const m of loaded) {
    const other = seen.get(m.migration.id)
    if (other) {
      throw new GovMigrateError(`migrations ${other} and ${m.name} share the id ${m.migration.id}`, 'give each migration its own id')
    }
    seen.set(m.migration.id, m.name)
  }
  return loaded
}

/** The project's migrations, from the configured folder. */
export async function migrationsOf(config: LoadedConfig): Promise<LoadedMigration[]> {
  return loadMigrations(resolve(config.root, config.migrationsDir), config.root)
}
