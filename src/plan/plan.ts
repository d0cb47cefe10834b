import type { LoadedConfig } from '../config/load-config.ts'
import { databaseOf, redact } from '../db/url.ts'
import { GovMigrateError } from '../errors.ts'
import { cloneRefusal, writerRoleName, type Tier } from '../guard/guard.ts'
import { readConnectionFacts } from '../guard/connection-facts.ts'
import { openDatabase, withClient } from '../db/database.ts'
import { fingerprintOf } from '../fingerprint/read.ts'
import { down, up, migrationsOf, type CapturedQuery, type StepEvent } from '../migrator/migrator.ts'
import type { Deltas } from '../migrator/migration.ts'
import { formatDeltas } from '../migrator/migration.ts'
import { readLog } from '../migrator/log-storage.ts'
import { formatQuery } from './format-sql.ts'
import { diffSchemaFiles, typeDiff, typeDiffMarkdown, type TypeDiff } from './type-diff.ts'
import { schemaFilesAround } from '../db/schema-files.ts'

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
  /** How the generated TypeScript types change across it (reversed for a down). */
  types: TypeDiff
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

export async function isMarked(url: string): Promise<boolean> {
  return withClient(url, async (client) => cloneRefusal(await readConnectionFacts(client)) === null)
}

/** The plan items of rehearsed steps, with the gates each migration declares. */
export async function planItems(config: LoadedConfig, steps: readonly StepEvent[]): Promise<PlanItem[]> {
  const loaded = await migrationsOf(config)
  return steps.map((step) => {
    const loadedStep = loaded.find((l) => l.name === step.name)
    const m = loadedStep?.migration
    const gates = [
      ...(step.tier === 'production' ? [`ospa ≥ 1 (approvals of ${config.ratificationProposal}), read with for share in the same transaction`] : []),
      ...(m?.requiresDecision && step.direction === 'up' ? ['an explicit decision: --activate-emit'] : []),
      ...(step.direction === 'up' ? (m?.gates ?? []).map((g) => g.name) : []),
    ]
    const around = loadedStep ? schemaFilesAround(loaded, loadedStep) : undefined
    const types = !loadedStep || !around ? diffSchemaFiles(config, '', '') : step.direction === 'up' ? typeDiff(config, loaded, loadedStep) : diffSchemaFiles(config, around.after, around.before)
    return { id: step.id, name: step.name, title: step.title, tier: step.tier, sha256: step.sha256, gates, types, expect: step.expected, sql: step.sql ?? [], measured: step.measured, notes: step.notes }
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

/** A gate as the summary shows it: the ospa gate's long wording shortened. */
function shortGate(gate: string): string {
  return gate.startsWith('ospa ≥ 1') ? 'ospa ≥ 1' : gate.startsWith('an explicit decision') ? '--activate-emit' : gate
}

/** One line per stage: tier, type change, data change, gates (the plan's summary). */
export function planSummary(items: readonly PlanItem[]): { id: string; tier: Tier; types: string; data: string; gates: string }[] {
  return items.map((item) => ({
    id: item.id,
    tier: item.tier,
    types: item.types.summary.replace(/^types: /, ''),
    data: formatDeltas(item.expect),
    gates: item.gates.length === 0 ? 'none' : item.gates.map(shortGate).join('; '),
  }))
}

export function planMarkdown(p: Plan): string {
  const lines = [`# Plan: migrate ${p.direction} (${p.items.length} migration${p.items.length === 1 ? '' : 's'})`, '']
  if (p.items.length === 0) lines.push('Nothing to do.')
  else {
    lines.push('| # | stage | tier | types | data (declared) | gates |', '| --- | --- | --- | --- | --- | --- |')
    planSummary(p.items).forEach((row, i) => lines.push(`| ${i + 1} | ${row.id} | ${row.tier} | ${row.types} | ${row.data} | ${row.gates} |`))
    lines.push('')
  }
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
    ...typeDiffMarkdown(item.types),
    '',
    '```sql',
    item.sql.length === 0 ? '-- no statement' : item.sql.map(formatQuery).join('\n\n'),
    '```',
  ]
}

/**
 * The script's first statements: go on only on a marked clone (its marker names the database
 * itself, and it is not a golden snapshot) as the writer role its marker names; else raise, and
 * with ON_ERROR_STOP psql stops there (exit 3). The marker table exists on clones only, and only
 * some roles may read it, so whether this session can is read first, from the catalog.
 */
const WRITER_CHECK = [
  `select exists (select from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace`,
  `               where n.nspname = 'gov_migrate' and c.relname = 'clone_marker'`,
  `                 and pg_catalog.has_schema_privilege(n.oid, 'usage') and pg_catalog.has_table_privilege(c.oid, 'select')) as gov_migrate_marked \\gset`,
  '\\if :gov_migrate_marked',
  `select coalesce((select m.clone_name = pg_catalog.current_database() and not m.golden and m.writer_role = current_user`,
  `                 from gov_migrate.clone_marker m order by m.created_at limit 1), false) as gov_migrate_as_writer \\gset`,
  '\\else',
  '\\set gov_migrate_as_writer false',
  '\\endif',
  '\\if :gov_migrate_as_writer',
  '\\else',
  `do $$ begin raise exception 'refused: this plan runs only on a marked clone, as the writer role its marker names; here the database is % and the role %', pg_catalog.current_database(), current_user; end $$;`,
  '\\endif',
]

/**
 * The plan as a script psql runs as it is, on a marked clone, as that clone's writer role (the
 * role `migrate up` runs as, so every object gets the same owner): a summary in comments, a
 * refusal when the session is anything else, then each migration's statements, parameters
 * inlined as quoted literals, in its own transaction. It replays what the bodies ran in the
 * rehearsal; the ospa gate, the stop-gates, the delta check and the log entry are `migrate up`'s
 * and are not in it, which is why it never runs on production.
 */
export function planSql(p: Plan): string {
  const rows = planSummary(p.items)
  const width = Math.max(2, ...rows.map((r) => r.id.length))
  const onClone = p.rehearsedOn === p.target
  const role = onClone ? writerRoleName(databaseOf(p.target)) : '<clone>_writer'
  const database = onClone ? databaseOf(p.target) : '<clone>'
  const header = [
    `-- Plan: migrate ${p.direction} on ${databaseOf(p.target)}: ${p.items.length} migration${p.items.length === 1 ? '' : 's'}, captured on ${databaseOf(p.rehearsedOn)} in a rehearsal that rolled back.`,
    `-- Run it as the clone's writer role, on a marked clone in the state before the first migration:`,
    `--   psql -X -f <this file> 'postgres://${role}@<host>/${database}'`,
    '-- (or as an admin after `SET ROLE` to that role). It refuses to run as any other role, on a',
    '-- golden snapshot or on a database that is not a marked clone (production included): the check',
    '-- below stops it before any statement, exit 3. The gates, the measured-delta check and the',
    '-- migration log are `migrate up`\'s, not this script\'s.',
    '--',
    ...rows.map((r) => `-- ${r.id.padEnd(width)}  ${r.tier.padEnd(10)}  types: ${r.types}  |  data: ${r.data}  |  gates: ${r.gates}`),
    '',
    '\\set ON_ERROR_STOP on',
    '',
    ...WRITER_CHECK,
  ]
  const body = p.items.map((item) =>
    [`-- ${item.id}: ${item.title}`, `-- ${item.name}.ts sha256 ${item.sha256}`, 'begin;', ...item.sql.map(formatQuery), 'commit;'].join('\n\n'),
  )
  return `${[header.join('\n'), ...body].join('\n\n')}\n`
}
