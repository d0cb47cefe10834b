import { GovMigrateError } from '../errors.ts'
import type { LoadedMigration } from './load-migrations.ts'
import type { LogEntry } from './log-storage.ts'

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
    else if (file.sha256 !== entry.sha256) problems.push(`${entry.name} was edited after it was applied`)
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
