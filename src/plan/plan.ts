import type { LoadedConfig } from '../config/load-config.ts'
import { redact } from '../db/url.ts'
import { GovMigrateError } from '../errors.ts'
import { cloneRefusal, type Tier } from '../guard/guard.ts'
import { readConnectionFacts } from '../guard/connection-facts.ts'
import { openDatabase, withClient } from '../db/database.ts'
import { fingerprintOf } from '../clone/clone.ts'
import { down, up, migrationsOf, type CapturedQuery, type StepEvent } from '../migrator/migrator.ts'
import type { Deltas } from '../migrator/migration.ts'
import { formatDeltas } from '../migrator/migration.ts'
import { readLog } from '../migrator/log-storage.ts'
import { formatQuery } from './format-sql.ts'

export interface PlanOptions {
  /** The database the plan is for (production or a clone); only read. */
  url: string
  /** A marked clone to capture the SQL on, when the target is not one. */
  clone?: string
  config: LoadedConfig
  to?: string
  down?: boolean
}

export interface PlanItem {
  id: string
  name: string
  title: string
  tier: Tier
  sha256: string
  /** Preconditions: the ospa gate for production tiers, then the stop-gates. */
  gates: string[]
  expect: Deltas
  /** The statements the migration runs, captured in a rehearsal that rolled back. */
  sql: CapturedQuery[]
  /** What the rehearsal measured (equal to `expect` when it passed). */
  measured: Deltas
  notes: string[]
}

export interface Plan {
  target: string
  direction: 'up' | 'down'
  /** ospa on the target, read through the read-only channel. */
  ospa: number
  /** Where the SQL was captured: the target itself when it is a marked clone. */
  rehearsedOn: string
  items: PlanItem[]
}

async function isMarked(url: string): Promise<boolean> {
  return withClient(url, async (client) => cloneRefusal(await readConnectionFacts(client)) === null)
}

/** The plan items of rehearsed steps, with the gates each migration declares. */
export async function planItems(config: LoadedConfig, steps: readonly StepEvent[]): Promise<PlanItem[]> {
  const loaded = await migrationsOf(config)
  return steps.map((step) => {
    const m = loaded.find((l) => l.name === step.name)?.migration
    const gates = [
      ...(step.tier === 'production' ? [`ospa ≥ 1 (approvals of ${config.ratificationProposal}), read with for share in the same transaction`] : []),
      ...(m?.requiresDecision && step.direction === 'up' ? ['an explicit decision: --activate-emit'] : []),
      ...(step.direction === 'up' ? (m?.gates ?? []).map((g) => g.name) : []),
    ]
    return { id: step.id, name: step.name, title: step.title, tier: step.tier, sha256: step.sha256, gates, expect: step.expected, sql: step.sql ?? [], measured: step.measured, notes: step.notes }
  })
}

/**
 * What `up`/`down` would do, without changing the target: the pending migrations in order,
 * each with its gates, declared deltas and the SQL it runs. The SQL is captured by running
 * the migrations in a transaction that always rolls back, on a marked clone.
 */
export async function plan(options: PlanOptions): Promise<Plan> {
  const targetIsClone = await isMarked(options.url)
  const rehearsalUrl = targetIsClone ? options.url : options.clone
  if (!rehearsalUrl) {
    throw new GovMigrateError(
      'plan captures SQL by running the migrations in a rolled-back transaction, which it does on clones only',
      'pass --clone <url of a marked clone of the target> (or run plan on the clone itself)',
    )
  }
  if (!targetIsClone && !(await isMarked(rehearsalUrl))) {
    throw new GovMigrateError(`--clone ${redact(rehearsalUrl)} is not a marked clone`, 'make one with `migrate clone create --from <target url>`')
  }
  const { ospa } = await fingerprintOf(options.url, options.config.ratificationProposal)
  const run = options.down ? down : up
  const result = await run({
    url: rehearsalUrl,
    config: options.config,
    ...(options.to !== undefined ? { to: options.to } : {}),
    rehearse: true,
    capture: true,
    recordProof: false,
    activateEmit: true,
  })
  return {
    target: redact(options.url),
    direction: options.down ? 'down' : 'up',
    ospa,
    rehearsedOn: redact(rehearsalUrl),
    items: await planItems(options.config, result.steps),
  }
}

/** The applied migration names of a database, read-only. */
export async function appliedOn(url: string): Promise<Set<string>> {
  const { db, close } = openDatabase(url, { policy: 'any', readOnly: true, max: 1 })
  try {
    return new Set((await readLog(db)).map((entry) => entry.name))
  } finally {
    await close()
  }
}

export function planMarkdown(p: Plan): string {
  const lines = [`# Plan: migrate ${p.direction} (${p.items.length} migration${p.items.length === 1 ? '' : 's'})`, '']
  if (p.items.length === 0) lines.push('Nothing to do.')
  for (const item of p.items) lines.push(...itemMarkdown(item), '')
  return `${lines.join('\n').trimEnd()}\n`
}

export function itemMarkdown(item: PlanItem, heading = '##'): string[] {
  return [
    `${heading} ${item.id}: ${item.title}`,
    '',
    `- file: \`${item.name}.ts\` (sha256 \`${item.sha256}\`)`,
    `- tier: ${item.tier}`,
    `- gates: ${item.gates.length === 0 ? 'none' : item.gates.join('; ')}`,
    `- declared deltas: ${formatDeltas(item.expect)}`,
    `- measured in the rehearsal: ${formatDeltas(item.measured)}`,
    '',
    '```sql',
    item.sql.length === 0 ? '-- no statement' : item.sql.map(formatQuery).join('\n\n'),
    '```',
  ]
}

export function planSql(p: Plan): string {
  return `${p.items
    .map((item) => [`-- ${item.id}: ${item.title}`, `-- ${item.name}.ts sha256 ${item.sha256}`, ...item.sql.map(formatQuery)].join('\n\n'))
    .join('\n\n')}\n`
}
