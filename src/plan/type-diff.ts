import { createTwoFilesPatch } from 'diff'
import type { LoadedConfig } from '../config/load-config.ts'
import { readSchemaFile, schemaFilesAround } from '../db/schema-files.ts'
import { GovMigrateError } from '../errors.ts'
import type { LoadedMigration } from '../migrator/load-migrations.ts'

/** How the generated TypeScript types of the database change across a stage (or a range of one track). */
export interface TypeDiff {
  /** Schema file before the first stage (in src/db/schema/). */
  before: string
  /** Schema file after the last stage. */
  after: string
  /** false: the stage changes no schema; null: a file is not generated yet. */
  changed: boolean | null
  /** Interfaces (tables and views) that appear, disappear or change. */
  added: string[]
  removed: string[]
  modified: string[]
  /** The unified diff of the two files ('' when unchanged or not generated). */
  patch: string
  /** One line: `types: +2 interfaces (AxisValue, AxisRegistry); changed DB`, `types: no schema change`. */
  summary: string
}

/** Each exported interface of a generated file with its body. */
function interfaces(text: string): Map<string, string> {
  const found = new Map<string, string>()
  for (const match of text.matchAll(/^export interface (\w+) \{\n([\s\S]*?)^\}/gm)) found.set(match[1] ?? '', match[2] ?? '')
  return found
}

function list(names: readonly string[]): string {
  return names.join(', ')
}

/** The type diff between two generated schema files. */
export function diffSchemaFiles(config: LoadedConfig, before: string, after: string): TypeDiff {
  const from = readSchemaFile(config, before)
  const to = readSchemaFile(config, after)
  if (from === undefined || to === undefined) {
    const missing = [from === undefined ? before : undefined, to === undefined ? after : undefined].filter((f) => f !== undefined)
    return {
      before,
      after,
      changed: null,
      added: [],
      removed: [],
      modified: [],
      patch: '',
      summary: `types: not generated yet (${list(missing)} missing in ${config.schemaDir}): run \`npm run codegen\``,
    }
  }
  const a = interfaces(from)
  const b = interfaces(to)
  const added = [...b.keys()].filter((k) => !a.has(k))
  const removed = [...a.keys()].filter((k) => !b.has(k))
  const modified = [...b.keys()].filter((k) => a.has(k) && a.get(k) !== b.get(k))
  if (from === to) return { before, after, changed: false, added, removed, modified, patch: '', summary: `types: no schema change (${after} equals ${before})` }
  const parts = [
    ...(added.length > 0 ? [`+${added.length} interface${added.length === 1 ? '' : 's'} (${list(added)})`] : []),
    ...(removed.length > 0 ? [`-${removed.length} interface${removed.length === 1 ? '' : 's'} (${list(removed)})`] : []),
    ...(modified.length > 0 ? [`changed ${list(modified)}`] : []),
  ]
  const patch = createTwoFilesPatch(`${config.schemaDir}/${before}`, `${config.schemaDir}/${after}`, from, to, undefined, undefined, { context: 2 })
    .split('\n')
    .filter((line) => !/^=+$/.test(line))
    .join('\n')
    .trim()
  return { before, after, changed: true, added, removed, modified, patch, summary: `types: ${parts.length > 0 ? parts.join('; ') : 'changed'}` }
}

/** The type diff across stage `m`: the schema before it against the schema it runs on. */
export function typeDiff(config: LoadedConfig, loaded: readonly LoadedMigration[], m: LoadedMigration): TypeDiff {
  const { before, after } = schemaFilesAround(loaded, m)
  return diffSchemaFiles(config, before, after)
}

/** The type diff across the stages `from` … `to` of one track. */
export function typeDiffRange(config: LoadedConfig, loaded: readonly LoadedMigration[], from: LoadedMigration, to: LoadedMigration): TypeDiff {
  if (from.migration.tier !== to.migration.tier || loaded.indexOf(from) > loaded.indexOf(to)) {
    throw new GovMigrateError(
      `--from ${from.migration.id} --to ${to.migration.id} is not a range of one track`,
      'name two stages of one track (clone stages or production tiers), the earlier first',
    )
  }
  return diffSchemaFiles(config, schemaFilesAround(loaded, from).before, schemaFilesAround(loaded, to).after)
}

/** A type diff as Markdown: its one-line summary, then the unified diff in a `diff` block. */
export function typeDiffMarkdown(types: TypeDiff): string[] {
  return types.changed ? [types.summary, '', '```diff', types.patch, '```'] : [types.summary]
}
