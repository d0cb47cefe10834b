import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { GovMigrateError } from '../errors.ts'

/**
 * A pipeline number in DOMAIN.md's vocabulary, as a scalar SQL expression.
 * `requires` names a table or view the expression reads; when it is absent the number is 0
 * (a stage's relations do not exist before it).
 */
export interface MetricDefinition {
  key: string
  expression: string
  requires?: string
}

/**
 * The tool's own numbers: those of the production baseline (DOMAIN.md), which every database it
 * works on has, and which the production fingerprint reads too. A number over a relation that a
 * stage creates is that stage's: it is declared in its migration module (`metrics`, usually in
 * the stage's unit) and joins these through `metricsWith`. This file names no such relation.
 */
export const METRICS: readonly MetricDefinition[] = [
  { key: 'own', expression: 'select count(*) from governance_object_ownership' },
  { key: 'gap', expression: 'select count(*) from v_object_owner_gap' },
  { key: 'ruleset', expression: 'select count(*) from governance_ruleset' },
  { key: 'scan_run', expression: 'select count(*) from candidate_scan_run' },
  { key: 'cand_state', expression: 'select count(*) from governance_candidate_state' },
  { key: 'cand_object', expression: 'select count(*) from governance_candidate_object' },
  { key: 'cursor', expression: 'select count(*) from gov_worker_cursor' },
  { key: 'event_log', expression: 'select count(*) from governance_event_log' },
  {
    key: 'gov_emit',
    expression:
      'select count(*) from governance_event_log l join event_type_registry t using (event_type) where t.is_governance and l.emitted',
  },
  { key: 'gov_active', expression: 'select count(*) from event_type_registry where is_governance and active' },
  // The production fingerprint's reading of the `axis_*` family (DOMAIN.md: absent on production):
  // a count of tables by name prefix, 0 on any database without them, not a read of one of them.
  {
    key: 'axis_tables',
    expression: String.raw`select count(*) from pg_tables where schemaname = 'public' and tablename like 'axis\_%'`,
  },
]

export type Metrics = Record<string, number>

/**
 * The tool's numbers plus those the given stages introduce (`metrics` of a migration), each key
 * once. A production tier that reuses a clone stage's unit declares the same definitions; two
 * different definitions under one key are an error.
 */
export function metricsWith(stages: readonly { name?: string; migration: { metrics?: readonly MetricDefinition[] } }[]): MetricDefinition[] {
  const all = new Map(METRICS.map((m) => [m.key, m]))
  const from = new Map(METRICS.map((m) => [m.key, 'the tool (src/fingerprint/metrics.ts)']))
  for (const stage of stages) {
    for (const m of stage.migration.metrics ?? []) {
      const known = all.get(m.key)
      if (!known) {
        all.set(m.key, m)
        from.set(m.key, stage.name ?? 'a stage')
      } else if (known.expression !== m.expression || known.requires !== m.requires) {
        throw new GovMigrateError(
          `the number ${m.key} is defined twice, differently: by ${from.get(m.key) ?? 'a stage'} and by ${stage.name ?? 'a stage'}`,
          'define a number once, in the stage that creates what it reads, and reuse that definition (its unit) elsewhere',
        )
      }
    }
  }
  return [...all.values()]
}

/**
 * Reads every metric in one statement (one snapshot); absent relations count as 0.
 * A view that several metrics read (the drift findings, the axis coverage) is evaluated
 * once: a materialized CTE of the same name shadows it for the statement, so each
 * metric's expression stays as written and the view's cost is paid once per measurement.
 */
export async function readMetrics(db: Kysely<DB>, metrics: readonly MetricDefinition[]): Promise<Metrics> {
  const uses = new Map<string, number>()
  for (const m of metrics) if (m.requires) uses.set(m.requires, (uses.get(m.requires) ?? 0) + 1)
  const present = new Map<string, string>()
  if (uses.size > 0) {
    const { rows } = await sql<{ name: string; kind: string }>`
      select name, c.relkind::text as kind from unnest(${[...uses.keys()]}::text[]) as name
      join pg_class c on c.oid = to_regclass('public.' || name)`.execute(db)
    for (const row of rows) present.set(row.name, row.kind)
  }
  const shared = [...present].filter(([name, kind]) => kind === 'v' && (uses.get(name) ?? 0) > 1).map(([name]) => name)
  const columns = metrics.map((m) =>
    !m.requires || present.has(m.requires)
      ? sql`coalesce((${sql.raw(m.expression)}), 0)::int as ${sql.ref(m.key)}`
      : sql`0 as ${sql.ref(m.key)}`,
  )
  const ctes = shared.map((name) => sql`${sql.id(name)} as materialized (select * from ${sql.id('public', name)})`)
  const { rows } = ctes.length > 0 ? await sql<Metrics>`with ${sql.join(ctes)} select ${sql.join(columns)}`.execute(db) : await sql<Metrics>`select ${sql.join(columns)}`.execute(db)
  const row = rows[0]
  if (!row) throw new Error('the metrics query returned no row')
  return row
}

/**
 * The numbers of an untouched stand-in of `shape`: nothing owned (every pair a gap),
 * everything else absent or zero. Each applied migration's declared deltas add to it.
 */
export function baselineMetrics(shape: Shape, metrics: readonly MetricDefinition[] = METRICS): Metrics {
  const zero = Object.fromEntries(metrics.map((m) => [m.key, 0]))
  return { ...zero, gap: shape.collections * shape.scopes }
}

/** The substrate a stage's declared deltas scale with. */
export interface Shape {
  collections: number
  groups: number
  scopes: number
  /** Governance event types (what emit activation turns on). */
  eventTypes: number
}

export async function readShape(db: Kysely<DB>): Promise<Shape> {
  const row = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('governance_collection_inventory').select(eb.fn.countAll<number>().as('n')).as('collections'),
      eb.selectFrom('governance_group').select(eb.fn.countAll<number>().as('n')).as('groups'),
      eb.selectFrom('governance_scope').select(eb.fn.countAll<number>().as('n')).as('scopes'),
      eb.selectFrom('event_type_registry').where('is_governance', '=', true).select(eb.fn.countAll<number>().as('n')).as('event_types'),
    ])
    .executeTakeFirstOrThrow()
  return { collections: Number(row.collections), groups: Number(row.groups), scopes: Number(row.scopes), eventTypes: Number(row.event_types) }
}
