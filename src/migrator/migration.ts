import type { Transaction } from 'kysely'
import type { DB as Baseline } from '../db/schema.ts'
import type { Tier } from '../guard/guard.ts'
import type { MetricDefinition, Metrics, Shape } from '../fingerprint/metrics.ts'
import type { Check } from '../verify/checks.ts'

/**
 * What a migration's `up` and `down` receive. `DB` is the schema the migration runs on, its own
 * generated file in src/db/schema/ (everything before it plus what it creates).
 */
export interface MigrationContext<DB = Baseline> {
  /** The transaction the migration, its delta check and its log entry share. */
  db: Transaction<DB>
  /** The substrate it runs on (35N collections, 5N groups, 6 scopes). */
  shape: Shape
  /** Records a reading for the run's output (`coverage 100.00 %`). */
  note: (line: string) => void
  /** Safety bounds from the configuration (the scanner's candidate cap). */
  limits: Limits
}

/** Safety bounds a migration writes into the database, from `kysely.config.ts`. */
export interface Limits {
  /** The most candidates a ruleset may hold (`scanner.maxCandidates`): C's and T2's, enforced by the database. */
  maxCandidates: number
}

/**
 * A stop-gate: a precondition checked in the migration's transaction before any change.
 * `check` returns why the target is not ready, or null when it is.
 */
export interface StopGate<DB = Baseline> {
  name: string
  check(context: StopGateContext<DB>): Promise<string | null>
}

/** What a stop-gate reads: the migration's transaction, the substrate, and every number the run measures. */
export interface StopGateContext<DB = Baseline> {
  db: Transaction<DB>
  shape: Shape
  /** The tool's numbers and those the loaded stages define (`metricsWith`). */
  metrics: readonly MetricDefinition[]
}

/** What a stage's own `verify` checks receive: the numbers implied right after it, and those read now. */
export interface VerifyContext<DB = Baseline> {
  /** The verify transaction (always rolled back; a check may try a write inside a savepoint). */
  db: Transaction<DB>
  shape: Shape
  /** Baseline plus the declared deltas of every applied stage up to and including this one. */
  implied: Metrics
  /** Every number as the database reports it now. */
  actual: Metrics
}

/** Expected change of each named number after `up`; `down` must change them by the negation. */
export type Deltas = Readonly<Record<string, number>>

/**
 * One pipeline stage or rollout tier, as a reviewer reads it.
 *
 * ### Examples
 * ```ts
 * import type { DB } from '../src/db/schema/0001-A.ts'
 *
 * export default defineMigration<DB>({
 *   id: 'A',
 *   title: 'ownership seed',
 *   tier: 'clone',
 *   expect: (s) => ({ own: +s.groups * s.scopes, gap: -s.collections * s.scopes }),
 *   async up({ db }) { … },
 *   async down({ db }) { … },
 * })
 * ```
 */
export interface GovMigration<DB = Baseline> extends StageUnit<DB> {
  /** Short stable id used by `--to` (A, B, …, T1, …). */
  id: string
  /** What the stage does, in words a reviewer understands. */
  title: string
  tier: Tier
  /**
   * Production tiers: the ratification proposal whose approvals (ospa ≥ 1) open this tier's
   * gate. Declared in the tier so it is reviewed and checksummed with it; `ratificationProposal`
   * in kysely.config.ts may only agree.
   */
  ratificationProposal?: string
  /** Production tiers that need an explicit decision besides ospa ≥ 1 (emit activation). */
  requiresDecision?: boolean
  /** Preconditions of `up`, checked before any change (production tiers have several). */
  gates?: readonly StopGate<DB>[]
}

/**
 * Types a migration file's default export against the schema it runs on (`defineMigration<DB>`,
 * `DB` from its own file in src/db/schema/): a table a later stage creates is a type error.
 * The loader checks the export again at run time.
 */
export function defineMigration<DB>(migration: GovMigration<DB>): GovMigration<DB> {
  return migration
}

/** The declared deltas in DOMAIN.md's notation: `own +30, gap -210`. */
export function formatDeltas(deltas: Deltas): string {
  const parts = Object.entries(deltas).map(([key, value]) => `${key} ${value >= 0 ? '+' : ''}${value}`)
  return parts.length > 0 ? parts.join(', ') : 'none (writes nothing)'
}

/**
 * The part of a stage that a production tier repeats: its change, its declared deltas and its
 * way back, parametrised by the marks its rows carry. A clone stage adds what only the clone
 * does (the scanner re-run); a tier reuses the unit, or several in order (`combineUnits`).
 */
export interface StageUnit<DB> {
  /**
   * Numbers this stage introduces besides the tool's (`fingerprint/metrics.ts`): one per reading of
   * a relation it creates (`stageMetric`), 0 where that relation does not exist yet. A tier that
   * reuses the stage's unit declares the unit's numbers too.
   */
  metrics?: readonly MetricDefinition[]
  /** Declared deltas, as a function of the substrate so they scale. */
  expect: (shape: Shape) => Deltas
  /**
   * The checks `migrate verify` runs while this stage is applied (after the numbers). They only
   * read, so they run everywhere: on clones and on production, through the read-only channel.
   */
  verify?(context: VerifyContext<DB>): Promise<Check[]>
  /**
   * The fail-closed tries: writes the database must reject (`rejects`), each in a savepoint of
   * verify's always-rolled-back transaction. Clones only: production is only read, so there they
   * are listed as skipped.
   */
  tries?(context: VerifyContext<DB>): Promise<Check[]>
  up(context: MigrationContext<DB>): Promise<void>
  down(context: MigrationContext<DB>): Promise<void>
}

/**
 * A number a stage introduces: `expression`, a scalar SQL query over `requires`, a table or view
 * of the stage's own schema `DB` (so a relation it does not have is a type error); 0 on a
 * database where that relation does not exist yet.
 *
 * ### Examples
 * ```ts
 * stageMetric<DB>('decisions', 'axis_facet_decision', 'select count(*) from axis_facet_decision')
 * ```
 */
export function stageMetric<DB>(key: string, requires: keyof DB & string, expression: string): MetricDefinition {
  return { key, requires, expression }
}

/** Deltas added key by key. */
export function addDeltas(...all: Deltas[]): Deltas {
  const sum: Record<string, number> = {}
  for (const deltas of all) for (const [key, value] of Object.entries(deltas)) sum[key] = (sum[key] ?? 0) + value
  return sum
}

/** Every check of `units` of one kind, in their order. */
async function allChecks<DB>(units: readonly StageUnit<DB>[], kind: 'verify' | 'tries', context: VerifyContext<DB>): Promise<Check[]> {
  const checks: Check[] = []
  for (const unit of units) checks.push(...((await unit[kind]?.(context)) ?? []))
  return checks
}

/** Units run in order, reverted in reverse order, their deltas added, their checks and tries joined. */
export function combineUnits<DB>(...units: StageUnit<DB>[]): StageUnit<DB> {
  return {
    metrics: units.flatMap((u) => u.metrics ?? []),
    expect: (shape) => addDeltas(...units.map((u) => u.expect(shape))),
    ...(units.some((u) => u.verify) ? { verify: (context: VerifyContext<DB>) => allChecks(units, 'verify', context) } : {}),
    ...(units.some((u) => u.tries) ? { tries: (context: VerifyContext<DB>) => allChecks(units, 'tries', context) } : {}),
    async up(context) {
      for (const unit of units) await unit.up(context)
    },
    async down(context) {
      for (const unit of [...units].reverse()) await unit.down(context)
    },
  }
}
