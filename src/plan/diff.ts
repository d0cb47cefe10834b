import type { LoadedConfig } from '../config/load-config.ts'
import { redact } from '../db/url.ts'
import { GovMigrateError } from '../errors.ts'
import { findById, migrationsOf, up, type CapturedQuery } from '../migrator/migrator.ts'
import { formatDeltas, type Deltas } from '../migrator/migration.ts'
import type { Tier } from '../guard/guard.ts'
import { appliedOn, isMarked } from './plan.ts'
import { formatQuery } from './format-sql.ts'
import { typeDiff, typeDiffMarkdown, typeDiffRange, type TypeDiff } from './type-diff.ts'

export interface DiffOptions {
  /** A marked clone on which the stages are pending: they are rehearsed there and rolled back. */
  url: string
  config: LoadedConfig
  /** First stage of the range (or the one stage). */
  from: string
  /** Last stage of the range (default: `from`). */
  to?: string
}

/** What one stage changes, for a reviewer: its types, its SQL both ways, its deltas. */
export interface StageDiff {
  id: string
  name: string
  title: string
  tier: Tier
  sha256: string
  types: TypeDiff
  sql: CapturedQuery[]
  rollback: CapturedQuery[]
  declared: Deltas
  measured: Deltas
  /** Measured on the way back (the negation of `declared` when the round trip holds). */
  measuredDown: Deltas
}

export interface DiffResult {
  from: string
  to: string
  rehearsedOn: string
  /** The type diff across the whole range. */
  types: TypeDiff
  stages: StageDiff[]
}

/**
 * `migrate diff`: the generated types before and after a stage (or a range of one track),
 * and, from a rehearsal on a marked clone that rolls back, the SQL each stage runs, the SQL
 * that reverts it, and its declared and measured deltas both ways. Changes nothing.
 */
export async function diff(options: DiffOptions): Promise<DiffResult> {
  const { config } = options
  const loaded = await migrationsOf(config)
  const first = findById(loaded, options.from)
  const last = findById(loaded, options.to ?? options.from)
  const types = typeDiffRange(config, loaded, first, last)
  const range = loaded.slice(loaded.indexOf(first), loaded.indexOf(last) + 1).filter((m) => m.migration.tier === first.migration.tier)
  if (!(await isMarked(options.url))) {
    throw new GovMigrateError(
      `${redact(options.url)} is not a marked clone: diff rehearses the stages there and rolls back`,
      'pass --url <a marked clone> (`migrate clone create --from <production url>` makes one)',
    )
  }
  const applied = await appliedOn(options.url)
  const done = range.filter((m) => applied.has(m.name))
  if (done.length > 0) {
    const track = loaded.filter((m) => m.migration.tier === first.migration.tier)
    const index = track.indexOf(first)
    const before = index > 0 ? track[index - 1]?.migration.id : undefined
    throw new GovMigrateError(
      `${done.map((m) => m.migration.id).join(', ')} already applied on ${redact(options.url)}: diff shows a stage from the state before it`,
      `revert it first (migrate down --to ${before ?? '0'}) or use a fresh clone`,
    )
  }
  const result = await up({ url: options.url, config, to: last.migration.id, rehearse: true, capture: true, recordProof: false, activateEmit: true })
  const back = new Map((result.roundTrip ?? []).map((step) => [step.name, step]))
  const names = new Set(range.map((m) => m.name))
  const stages = result.steps
    .filter((step) => names.has(step.name))
    .map((step): StageDiff => {
      const m = findById(loaded, step.id)
      return {
        id: step.id,
        name: step.name,
        title: step.title,
        tier: step.tier,
        sha256: step.sha256,
        types: typeDiff(config, loaded, m),
        sql: step.sql ?? [],
        rollback: back.get(step.name)?.sql ?? [],
        declared: step.expected,
        measured: step.measured,
        measuredDown: back.get(step.name)?.measured ?? {},
      }
    })
  return { from: first.migration.id, to: last.migration.id, rehearsedOn: redact(options.url), types, stages }
}

function sqlBlock(queries: readonly CapturedQuery[]): string[] {
  return ['```sql', queries.length === 0 ? '-- no statement' : queries.map(formatQuery).join('\n\n'), '```']
}

export function diffMarkdown(d: DiffResult): string {
  const range = d.from === d.to ? d.from : `${d.from} … ${d.to}`
  const lines = [
    `# migrate diff ${range}`,
    '',
    `Rehearsed on \`${d.rehearsedOn}\` in one transaction, rolled back.`,
    '',
    `## Types: ${d.types.before} → ${d.types.after}`,
    '',
    ...typeDiffMarkdown(d.types),
    '',
  ]
  for (const s of d.stages) {
    lines.push(`## ${s.id}: ${s.title}`, '', `- file: \`${s.name}.ts\` (${s.tier}, sha256 \`${s.sha256}\`)`)
    if (d.stages.length > 1) lines.push(`- ${s.types.summary}`)
    lines.push(
      `- declared deltas: ${formatDeltas(s.declared)}`,
      `- measured up: ${formatDeltas(s.measured)}`,
      `- measured down: ${formatDeltas(s.measuredDown)}`,
      '',
      'SQL (up):',
      '',
      ...sqlBlock(s.sql),
      '',
      'Rollback SQL (down):',
      '',
      ...sqlBlock(s.rollback),
      '',
    )
  }
  return `${lines.join('\n').trimEnd()}\n`
}
