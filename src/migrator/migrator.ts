import type { Kysely, LogEvent, Transaction } from 'kysely'
import type { DB } from '../db/schema.ts'
import { openDatabase } from '../db/database.ts'
import { fingerprintSettings, type LoadedConfig } from '../config/load-config.ts'
import { GovMigrateError, MigrationError, RefusedError, StatementRefusedError, describe } from '../errors.ts'
import { asMigrationBody } from '../db/statement-origin.ts'
import { assertOwnTransaction, readOwnTransaction } from './own-transaction.ts'
import { isMarkedClone, type Tier } from '../guard/guard.ts'
import { metricsWith, readMetrics, readShape, type MetricDefinition, type Metrics, type Shape } from '../fingerprint/metrics.ts'
import { diffFingerprints, readFingerprint } from '../fingerprint/fingerprint.ts'
import { gateRefusal, readOspa, refuseGate } from '../gate/ospa-gate.ts'
import { migrationsOf, type LoadedMigration } from './load-migrations.ts'
import { deleteLogEntry, logStorage, readLog, writeLogEntry, type LogEntry } from './log-storage.ts'
import { assertHistory } from './history.ts'
import { acquireRunLock, releaseRunLock } from './lock.ts'
import { recordRehearsal } from './rehearsals.ts'
import { analyzeChangedTables, readTableChanges } from './statistics.ts'
import type { Deltas } from './migration.ts'
import { sqlSha256 } from './sql-hash.ts'
import { receiptRefusal, tierMismatches, type LoadedReceipt } from './receipt.ts'
import { movedSequences, readSequences, restoreSequences } from './sequences.ts'

export type Direction = 'up' | 'down'

export interface RunOptions {
  url: string
  config: LoadedConfig
  /** Stage id to stop at; for `down`, `'0'` reverts the whole track. */
  to?: string
  /** The explicit decision emit activation (T6) needs besides ospa ≥ 1. */
  activateEmit?: boolean
  /**
   * Run for real inside one transaction, round trip included, and always roll back.
   * Marked clones only; a closed ospa gate is reported ("would block"), not enforced.
   */
  rehearse?: boolean
  /** Keep the SQL each migration body ran (for plans and packets). */
  capture?: boolean
  /**
   * Production tiers: the receipt of their rehearsal on a fresh clone of production. Checked
   * before anything runs (coverage, module hashes, production's governance state), and per tier
   * while it runs (SQL hash, measured deltas); its hash goes into the log.
   */
  receipt?: LoadedReceipt
  /** Rehearsing, record the proven round trips on the clone (default true). */
  recordProof?: boolean
  onEvent?: (event: StepEvent) => void
}

/** A statement a migration ran, as sent: SQL and parameters. */
export interface CapturedQuery {
  sql: string
  parameters: unknown[]
}

/** What one applied or reverted migration did, measured. */
export interface StepEvent {
  direction: Direction
  id: string
  name: string
  title: string
  tier: Tier
  sha256: string
  expected: Deltas
  /** Where `expected` comes from: the migration's declaration, a receipt, or the up logged on this database. */
  expectedFrom: string
  measured: Deltas
  /** The ospa gate as read in the migration's transaction (production tiers). */
  gate?: string
  /** Readings the migration noted (coverage, scan results, …). */
  notes: string[]
  /** With `capture`: the statements its body ran. */
  sql?: CapturedQuery[]
  /** sha256 of the statements its body ran, in order, parameters included (timestamps normalised). */
  sqlSha256: string
  ms: number
}

export interface RunResult {
  direction: Direction
  track: Tier
  rehearsed: boolean
  steps: StepEvent[]
  /** With `rehearse`: the way back, proving the round trip (then everything rolled back). */
  roundTrip?: StepEvent[]
}

export { migrationsOf }

/** The migration a `--to` names, or a one-line error listing the known ids. */
export function findById(loaded: readonly LoadedMigration[], id: string): LoadedMigration {
  const found = loaded.find((m) => m.migration.id === id)
  if (!found) throw new GovMigrateError(`unknown stage "${id}"`, `use one of: ${loaded.map((m) => m.migration.id).join(', ')}`)
  return found
}

function negate(deltas: Deltas): Deltas {
  return Object.fromEntries(Object.entries(deltas).map(([key, value]) => [key, -value]))
}

/** Measured change per metric; only non-zero ones. */
export function measuredDeltas(before: Metrics, after: Metrics): Deltas {
  return Object.fromEntries(
    Object.keys(after)
      .map((key): [string, number] => [key, (after[key] ?? 0) - (before[key] ?? 0)])
      .filter(([, value]) => value !== 0),
  )
}

/** Keys where the measurement differs from the declaration, as `key expected X, measured Y`. */
export function deltaMismatches(expected: Deltas, measured: Deltas): string[] {
  const keys = new Set([...Object.keys(expected), ...Object.keys(measured)])
  return [...keys]
    .filter((key) => (expected[key] ?? 0) !== (measured[key] ?? 0))
    .map((key) => `${key} expected ${expected[key] ?? 0}, measured ${measured[key] ?? 0}`)
}

/** The declared deltas of `m` on `shape`, checked to name only known metrics (the tool's and the stages'). */
export function declaredDeltas(m: LoadedMigration, shape: Shape, metrics: readonly MetricDefinition[]): Deltas {
  const declared = m.migration.expect(shape)
  const keys = new Set(metrics.map((d) => d.key))
  const unknown = Object.keys(declared).filter((key) => !keys.has(key))
  if (unknown.length > 0) {
    throw new GovMigrateError(
      `migration ${m.name} declares unknown numbers: ${unknown.join(', ')}`,
      `declare only: ${[...keys].join(', ')}, or define the number in the stage's \`metrics\``,
    )
  }
  return declared
}

/** Collects the statements a migration body runs, while `active`. */
class Capture {
  active = false
  queries: CapturedQuery[] = []
  readonly log = (event: LogEvent): void => {
    if (this.active && event.level === 'query') this.queries.push({ sql: event.query.sql, parameters: [...event.query.parameters] })
  }
  take(): CapturedQuery[] {
    const taken = this.queries
    this.queries = []
    return taken
  }
}

interface ApplyContext {
  config: LoadedConfig
  /** Every number measured around each migration: the tool's and those the stages define. */
  metrics: readonly MetricDefinition[]
  /** False on a clone, where the session is the clone's read-only-on-approvals role. */
  lockGate: () => boolean
  activateEmit: boolean
  rehearse: boolean
  /** Sees every statement; a migration body's are hashed (and kept with `keepSql`). */
  capture: Capture
  keepSql: boolean
  receipt?: LoadedReceipt
  /** The target is production (not a marked clone): a tier's numbers come from its receipt and its log, never its formula. */
  onProduction: () => boolean
  events: StepEvent[]
  onEvent?: (event: StepEvent) => void
}

interface Expectation {
  deltas: Deltas
  source: 'declaration' | 'receipt' | 'log'
  /** In words, for the output: which declaration, receipt or log entry. */
  from: string
}

/**
 * What a migration must change, and where that comes from. On production a tier's `up` expects
 * what its rehearsal on a fresh clone of this production measured (the receipt), and its `down`
 * the reverse of what its `up` measured here (the log): the formulas in the module, written for
 * the stand-in, are not consulted there. Everywhere else (clones, rehearsals, clone stages) the
 * declaration is: `expect(shape)`, with the shape read from the target in the same transaction.
 */
export function expectationOf(m: LoadedMigration, direction: Direction, shape: Shape, ctx: Pick<ApplyContext, 'metrics' | 'onProduction' | 'rehearse' | 'receipt'>, entry?: LogEntry): Expectation {
  if (m.migration.tier === 'production' && ctx.onProduction() && !ctx.rehearse) {
    if (direction === 'up') {
      const tier = ctx.receipt?.receipt.tiers.find((t) => t.name === m.name)
      if (!ctx.receipt || !tier) throw new RefusedError(`refused: ${m.migration.id} on production has no receipt that covers it`, 'rehearse on a fresh clone of production with --receipt <file>')
      return { deltas: tier.measured_up, source: 'receipt', from: `receipt ${ctx.receipt.file}: measured by the rehearsal on ${ctx.receipt.receipt.clone}, a fresh clone of ${ctx.receipt.receipt.production.db}` }
    }
    if (entry?.deltas) return { deltas: negate(entry.deltas), source: 'log', from: `the reverse of what its up measured on this database (log, ${entry.applied_at})` }
  }
  const shapeText = `${shape.collections} collections, ${shape.groups} groups, ${shape.scopes} scopes`
  const declared = declaredDeltas(m, shape, ctx.metrics)
  return { deltas: direction === 'up' ? declared : negate(declared), source: 'declaration', from: `declaration: ${m.name}'s expect() over the shape read here (${shapeText})` }
}

/**
 * One migration in one transaction (or, rehearsing, inside the rehearsal's): ospa gate
 * (production tiers), stop-gates, measure, change, measure again, compare with the
 * declaration, write the log entry. Any failure rolls back all of it, the entry included.
 */
async function applyOne(exec: Kysely<DB>, m: LoadedMigration, direction: Direction, ctx: ApplyContext): Promise<void> {
  const started = performance.now()
  const { id } = m.migration
  const run = async (trx: Transaction<DB>): Promise<StepEvent> => {
    let gate: string | undefined
    if (m.migration.tier === 'production') {
      const reading = await readOspa(trx, tierProposal(m, ctx.config), ctx.lockGate())
      const needsDecision = m.migration.requiresDecision === true && direction === 'up'
      const refusal = gateRefusal(reading, { needsDecision, decided: ctx.activateEmit })
      if (refusal && !ctx.rehearse) refuseGate(id, refusal, needsDecision)
      gate = refusal ? `would block: ${refusal}` : `open: ospa = ${reading.ospa}${needsDecision ? ', emit decision given' : ''}`
    }
    const shape = await readShape(trx)
    if (direction === 'up') {
      for (const stopGate of m.migration.gates ?? []) {
        const failure = await stopGate.check({ db: trx, shape, metrics: ctx.metrics })
        if (failure) {
          throw new RefusedError(
            `refused: stop-gate "${stopGate.name}" of ${id}: ${failure}`,
            'the target is not in the state this migration expects; rehearse it on a fresh clone (migrate up --rehearse)',
          )
        }
      }
    }
    const logged = direction === 'down' ? (await readLog(trx)).find((e) => e.name === m.name) : undefined
    const expectation = expectationOf(m, direction, shape, ctx, logged)
    const expected = expectation.deltas
    const before = await readMetrics(trx, ctx.metrics)
    const notes: string[] = []
    const sequencesBefore = direction === 'up' ? await readSequences(trx) : {}
    const own = await readOwnTransaction(trx)
    const tablesBefore = await readTableChanges(trx)
    ctx.capture.take()
    ctx.capture.active = true
    try {
      // Every statement the body starts, awaited or not, is held to the whole statement policy.
      await asMigrationBody(() => m.migration[direction]({ db: trx, shape, note: (line) => notes.push(line), limits: { maxCandidates: ctx.config.scanner.maxCandidates } }))
    } finally {
      ctx.capture.active = false
    }
    await assertOwnTransaction(trx, own)
    const ran = ctx.capture.take()
    const sqlHash = sqlSha256(ran)
    // A sequence is not transactional: down sets back what up moved (kept in the log entry).
    const moved = direction === 'up' ? movedSequences(sequencesBefore, await readSequences(trx)) : {}
    if (direction === 'down') {
      const left = await restoreSequences(trx, logged?.sequences ?? {}, restorableOnly(ctx))
      if (left.length > 0) notes.push(`left as they are (used since the up): ${left.join(', ')}`)
    }
    await analyzeChangedTables(trx, tablesBefore, !ctx.onProduction())
    const measured = measuredDeltas(before, await readMetrics(trx, ctx.metrics))
    const bound = direction === 'up' && !ctx.rehearse && m.migration.tier === 'production' ? ctx.receipt : undefined
    const mismatches = deltaMismatches(expected, measured)
    if (mismatches.length > 0 && !(bound && ctx.onProduction())) {
      throw new GovMigrateError(`measured deltas differ from the ${expectation.source === 'log' ? 'reverse of its up as logged' : expectation.source}: ${mismatches.join('; ')}`, `correct ${m.name}'s up/down or its expect(); nothing was committed`)
    }
    if (bound) {
      const tier = bound.receipt.tiers.find((t) => t.name === m.name)
      const differs = tier ? tierMismatches(tier, sqlHash, measured) : ['the receipt does not cover it']
      if (differs.length > 0) {
        throw new RefusedError(`refused: ${id} ${differs.join('; ')}; rolled back`, `production runs only what its rehearsal proved: rehearse again on a fresh clone of production with --receipt`)
      }
    }
    if (direction === 'up') await writeLogEntry(trx, m, { sqlSha256: sqlHash, sequences: moved, deltas: { ...measured }, ...(bound ? { receiptSha256: bound.sha256 } : {}) })
    else await deleteLogEntry(trx, m)
    return {
      direction,
      id,
      name: m.name,
      title: m.migration.title,
      tier: m.migration.tier,
      sha256: m.sha256,
      expected,
      expectedFrom: expectation.from,
      measured,
      ...(gate ? { gate } : {}),
      notes,
      ...(ctx.keepSql ? { sql: ran } : {}),
      sqlSha256: sqlHash,
      ms: Math.round(performance.now() - started),
    }
  }
  // A sequence is not transactional: what a migration that fails (and rolls back) moved is set back.
  const sequencesAtStart = exec.isTransaction ? null : await readSequences(exec)
  try {
    const event = exec.isTransaction ? await run(exec as Transaction<DB>) : await exec.transaction().execute(run)
    ctx.events.push(event)
    ctx.onEvent?.(event)
  } catch (error) {
    if (sequencesAtStart) await restoreSequences(exec, movedSequences(sequencesAtStart, await readSequences(exec)), restorableOnly(ctx)).catch(() => undefined)
    // A gate or stop-gate refused before any change; a refused statement is a failed migration.
    if (error instanceof RefusedError && !(error instanceof StatementRefusedError)) throw error
    const fix = error instanceof StatementRefusedError ? `${error.fix}; nothing of this migration was committed` : undefined
    throw new MigrationError(id, direction, error instanceof GovMigrateError ? error.message : describe(error), fix)
  }
}

/** On production only the governance tables' sequences are ever set back (an app draws from its own). */
function restorableOnly(ctx: Pick<ApplyContext, 'config' | 'onProduction'>): readonly string[] | undefined {
  return ctx.onProduction() ? ctx.config.fingerprint.governanceObjects : undefined
}

/** Umzug wraps a migration's error in its own; hand back ours. */
function unwrapUmzug(error: unknown): unknown {
  let current = error
  while (current instanceof Error && !(current instanceof GovMigrateError) && current.cause !== undefined) current = current.cause
  return current instanceof GovMigrateError ? current : error
}

/** Runs `names` of one track through Umzug on `exec` (a pinned connection or the rehearsal's transaction). */
async function runThroughUmzug(exec: Kysely<DB>, loaded: readonly LoadedMigration[], track: Tier, direction: Direction, names: string[], ctx: ApplyContext): Promise<void> {
  if (names.length === 0) return
  // Loaded on first use: umzug and its dependencies cost start-up that status and plan do not need.
  const { Umzug } = await import('umzug')
  const umzug = new Umzug<Kysely<DB>>({
    migrations: loaded
      .filter((m) => m.migration.tier === track)
      .map((m) => ({ name: m.name, path: m.file, up: () => applyOne(exec, m, 'up', ctx), down: () => applyOne(exec, m, 'down', ctx) })),
    storage: logStorage(exec),
    context: exec,
    logger: undefined,
  })
  if (direction === 'up') await umzug.up({ migrations: names })
  else await umzug.down({ migrations: names })
}

class RolledBack extends Error {}

/**
 * The proposal a production tier's gate reads: the one the tier declares (reviewed and
 * checksummed with it). A configuration naming another one is refused, naming both.
 */
export function tierProposal(m: LoadedMigration, config: LoadedConfig): string {
  const declared = m.migration.ratificationProposal ?? ''
  if (config.ratificationProposal !== declared) {
    throw new RefusedError(
      `refused: tier ${m.migration.id} declares ratification proposal ${declared} (${m.name}), but kysely.config.ts says ${config.ratificationProposal}`,
      'the tier file is what was reviewed: make ratificationProposal in kysely.config.ts agree with it, or change the tier through review',
    )
  }
  return declared
}

/**
 * "Exit 3 means nothing ran": every flag, gate, the receipt and every stop-gate of the run is
 * checked before its first migration. Flags and the ospa gate are read directly; stop-gates
 * of later migrations depend on the earlier ones, so a run of several gated
 * migrations first goes through whole in one transaction that rolls back.
 */
async function preflight(conn: Kysely<DB>, steps: readonly LoadedMigration[], direction: Direction, ctx: ApplyContext, receipt?: () => Promise<void>): Promise<void> {
  if (direction === 'up' && !ctx.activateEmit) {
    const undecided = steps.find((m) => m.migration.requiresDecision === true)
    if (undecided) refuseGate(undecided.migration.id, 'emit activation needs its own explicit decision', true)
  }
  for (const m of steps.filter((step) => step.migration.tier === 'production')) {
    const refusal = gateRefusal(await readOspa(conn, tierProposal(m, ctx.config), ctx.lockGate()), { needsDecision: false, decided: false })
    if (refusal) refuseGate(m.migration.id, refusal, false)
  }
  // The receipt after the gates: with ospa = 0 nothing may run whatever a receipt says.
  await receipt?.()
  const laterGates = direction === 'up' && steps.slice(1).some((m) => (m.migration.gates ?? []).length > 0)
  if (!laterGates) return
  const dryRun: ApplyContext = { config: ctx.config, metrics: ctx.metrics, lockGate: ctx.lockGate, activateEmit: ctx.activateEmit, rehearse: false, onProduction: ctx.onProduction, events: [], capture: ctx.capture, keepSql: false, ...(ctx.receipt ? { receipt: ctx.receipt } : {}) }
  await rolledBackLeavingNoSequence(conn, async (trx) => {
    for (const m of steps) await applyOne(trx, m, direction, dryRun)
  }, restorableOnly(ctx)).catch((error: unknown) => {
    if (error instanceof MigrationError) {
      throw new MigrationError(error.migrationId, error.direction, `${error.message} (checked before the run: nothing was committed)`)
    }
    throw error
  })
}

/**
 * Production runs what a clone proved: on production (any database that is not a marked clone)
 * a production tier runs only with a receipt, always; there is no setting that lets one run
 * without. Every tier of the run must be covered by the receipt, with the module hash it was
 * rehearsed with, and production's governance state must still be the one the rehearsed clone
 * was made from. On a marked clone a receipt is optional (the clone is disposable) and checked
 * when given. Refusals come before anything runs (exit 3).
 */
async function checkReceipt(conn: Kysely<DB>, steps: readonly LoadedMigration[], options: RunOptions, onClone: boolean): Promise<void> {
  const fix = 'rehearse on a fresh clone of production first: migrate clone create --from <production url>, then migrate up --to <tier> --rehearse --url <clone> --receipt <file>, then run with --receipt <file>'
  if (!options.receipt) {
    if (!onClone) throw new RefusedError(`refused: ${steps.map((m) => m.migration.id).join(', ')} on production need the receipt of their rehearsal on a fresh clone of production (--receipt <file>); nothing ran`, fix)
    return
  }
  const production = await readFingerprint(conn, fingerprintSettings(options.config))
  const refusal = receiptRefusal(options.receipt, steps, production)
  if (refusal) throw new RefusedError(`refused: ${refusal}`, fix)
}

/**
 * Runs `body` in a transaction that always rolls back. A sequence is not transactional, so
 * every sequence it moved is set back afterwards: a dry run or a rehearsal leaves none advanced.
 */
async function rolledBackLeavingNoSequence(conn: Kysely<DB>, body: (trx: Transaction<DB>) => Promise<void>, onlyOf?: readonly string[]): Promise<void> {
  const before = await readSequences(conn)
  try {
    await conn
      .transaction()
      .execute(async (trx) => {
        await body(trx)
        throw new RolledBack()
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error
      })
  } finally {
    await restoreSequences(conn, movedSequences(before, await readSequences(conn)), onlyOf)
  }
}

/**
 * Runs `plan(log)` under the run lock on one pinned, guarded connection, through Umzug.
 * The plan is computed after the lock is taken, from the log as it is then. Rehearsing,
 * everything runs in one transaction, then the way back, then a rollback.
 */
async function runLocked(
  options: RunOptions,
  loaded: LoadedMigration[],
  direction: Direction,
  track: Tier,
  plan: (log: LogEntry[], loaded: LoadedMigration[]) => LoadedMigration[],
): Promise<RunResult> {
  const rehearse = options.rehearse === true
  const capture = new Capture()
  // Rehearsals run on marked clones only, whatever the track.
  const policy = rehearse || track === 'clone' ? 'clone' : 'any'
  const { db, pool, close } = openDatabase(options.url, { policy, max: 1, log: capture.log })
  const events: StepEvent[] = []
  const roundTrip: StepEvent[] = []
  let steps: LoadedMigration[] = []
  const ctx: ApplyContext = {
    config: options.config,
    metrics: metricsWith(loaded),
    lockGate: () => pool.writerRole === null,
    // Facts are read when the connection is made; a database that is not a marked clone is production.
    onProduction: () => (pool.facts ? !isMarkedClone(pool.facts) : true),
    activateEmit: options.activateEmit === true,
    rehearse,
    events,
    capture,
    keepSql: options.capture === true,
    ...(options.receipt ? { receipt: options.receipt } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  }
  try {
    await db.connection().execute(async (conn) => {
      await acquireRunLock(conn, options.config.lockTimeoutMs)
      try {
        const log = await readLog(conn)
        assertHistory(log, loaded)
        steps = plan(log, loaded)
        const names = steps.map((m) => m.name)
        if (!rehearse) {
          const bindReceipt = track === 'production' && direction === 'up' && steps.length > 0
          const onClone = !ctx.onProduction()
          await preflight(conn, steps, direction, ctx, bindReceipt ? () => checkReceipt(conn, steps, options, onClone) : undefined)
          await runThroughUmzug(conn, loaded, track, direction, names, ctx)
          return
        }
        await rolledBackLeavingNoSequence(conn, async (trx) => {
          const before = await readFingerprint(trx, fingerprintSettings(options.config))
          await runThroughUmzug(trx, loaded, track, direction, names, ctx)
          const back: ApplyContext = { ...ctx, events: roundTrip }
          await runThroughUmzug(trx, loaded, track, direction === 'up' ? 'down' : 'up', [...names].reverse(), back)
          const differ = diffFingerprints(before, await readFingerprint(trx, fingerprintSettings(options.config)))
          if (differ.length > 0) {
            throw new GovMigrateError(`the rehearsed round trip did not restore the clone: ${differ.join(', ')} differ`, 'a down does not remove exactly what its up added; fix it')
          }
        })
      } finally {
        await releaseRunLock(conn).catch(() => undefined)
      }
    })
    if (rehearse && options.recordProof !== false && steps.length > 0) {
      await recordRehearsal(db, steps.map((m) => ({ name: m.name, id: m.migration.id, sha256: m.sha256, direction })))
    }
  } catch (error) {
    const cause = unwrapUmzug(error)
    // Exit 3 means nothing ran: a refusal after a commit is an ordinary failure.
    if (cause instanceof RefusedError && events.length > 0 && !rehearse) {
      throw new GovMigrateError(`${cause.message} (after ${events.map((e) => e.id).join(', ')} were committed)`, cause.fix, { cause })
    }
    throw cause
  } finally {
    await close()
  }
  return { direction, track, rehearsed: rehearse, steps: events, ...(rehearse ? { roundTrip } : {}) }
}

/**
 * Applies pending migrations of one track up to `to` (default: the last clone stage).
 * A plain `up` never runs a production tier: tiers are selected with `--to T…`.
 */
/** `--to` that names nothing (`''`, spaces) is bad input, never "every stage". */
function assertTo(to: string | undefined): void {
  if (to !== undefined && to.trim() === '') {
    throw new GovMigrateError('--to names no stage', 'pass a stage id such as --to A (or --to 0 for down), or leave --to out')
  }
}

export async function up(options: RunOptions): Promise<RunResult> {
  assertTo(options.to)
  const loaded = await migrationsOf(options.config)
  const target = options.to !== undefined ? findById(loaded, options.to) : loaded.filter((m) => m.migration.tier === 'clone').at(-1)
  if (!target) throw new GovMigrateError('there are no clone migrations', 'add migrations to the migrations folder')
  const track = target.migration.tier
  return runLocked(options, loaded, 'up', track, (log, all) => {
    const applied = new Set(log.map((entry) => entry.name))
    const trackList = all.filter((m) => m.migration.tier === track)
    return trackList.slice(0, trackList.findIndex((m) => m.name === target.name) + 1).filter((m) => !applied.has(m.name))
  })
}

/** The track of the last applied migration, read through a read-only connection. */
async function lastAppliedTrack(options: RunOptions, loaded: readonly LoadedMigration[]): Promise<Tier | undefined> {
  const { db, close } = openDatabase(options.url, { policy: 'any', readOnly: true, max: 1 })
  try {
    const last = (await readLog(db)).at(-1)
    return loaded.find((m) => m.name === last?.name)?.migration.tier
  } finally {
    await close()
  }
}

/** Reverts applied migrations of one track: the last one, or all after `to`, or all (`to = '0'`). */
export async function down(options: RunOptions): Promise<RunResult> {
  assertTo(options.to)
  const loaded = await migrationsOf(options.config)
  const target = options.to && options.to !== '0' ? findById(loaded, options.to) : undefined
  const track = target?.migration.tier ?? (await lastAppliedTrack(options, loaded))
  if (!track) return { direction: 'down', track: 'clone', rehearsed: options.rehearse === true, steps: [] }
  return runLocked(options, loaded, 'down', track, (log, all) => {
    const applied = new Set(log.map((entry) => entry.name))
    const executed = all.filter((m) => m.migration.tier === track && applied.has(m.name)).reverse()
    if (options.to === '0') return executed
    if (!target) return executed.slice(0, 1)
    if (!applied.has(target.name)) throw new GovMigrateError(`stage ${target.migration.id} is not applied`, 'run `migrate status` to see the applied stages')
    return executed.slice(0, executed.findIndex((m) => m.name === target.name))
  })
}
