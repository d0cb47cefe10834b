import { GovMigrateError } from '../errors.ts'
import type { LoadedMigration } from './load-migrations.ts'
import type { LogEntry } from './log-storage.ts'
import { closureChanges } from './module-closure.ts'

/**
 * Whether an applied migration still matches what runs now: its module closure, file by
 * file. A log entry from before closures were kept holds the file's own hash: it matches
 * when the migration file is unchanged (its imports were not recorded then).
 */
function editsOf(entry: LogEntry, m: LoadedMigration, fileSha256: string | undefined): string[] {
  if (entry.modules) {
    const changes = closureChanges(entry.modules, m.modules)
    if (changes.length > 0) return changes
    return entry.sha256 === m.sha256 ? [] : ['its module closure hash differs']
  }
  return entry.sha256 === m.sha256 || entry.sha256 === fileSha256 ? [] : ['its file changed']
}

/**
 * Problems with the applied history, each naming the migration: applied but missing,
 * edited after it was applied, or applied out of order (a gap before it).
 */
export function historyProblems(log: readonly LogEntry[], loaded: readonly LoadedMigration[]): string[] {
  const byName = new Map(loaded.map((m) => [m.name, m]))
  const applied = new Set(log.map((entry) => entry.name))
  const problems: string[] = []
  for (const entry of log) {
    const file = byName.get(entry.name)
    if (!file) problems.push(`${entry.name} is applied but its file is missing`)
    else {
      const own = Object.entries(file.modules).find(([path]) => path.endsWith(`/${file.name}.ts`) || path === `${file.name}.ts`)
      const edits = editsOf(entry, file, own?.[1])
      if (edits.length > 0) problems.push(`${file.migration.id} (${entry.name}) was edited after it was applied: ${edits.join(', ')}`)
    }
  }
  for (const tier of ['clone', 'production'] as const) {
    const track = loaded.filter((m) => m.migration.tier === tier)
    const lastApplied = track.map((m) => applied.has(m.name)).lastIndexOf(true)
    for (const m of track.slice(0, Math.max(lastApplied, 0))) {
      if (!applied.has(m.name)) problems.push(`${m.name} is pending but a later ${tier} migration is applied`)
    }
  }
  return problems
}

export function assertHistory(log: readonly LogEntry[], loaded: readonly LoadedMigration[]): void {
  const problems = historyProblems(log, loaded)
  if (problems.length > 0) {
    throw new GovMigrateError(
      `the migration history does not match the files: ${problems.join('; ')}`,
      'restore the applied files exactly as they were applied (git checkout), then run again',
    )
  }
}
