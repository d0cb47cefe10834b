import { resolve } from 'node:path'
import type { Kysely } from 'kysely'
import { Umzug } from 'umzug'
import type { DB } from '../db/schema.ts'
import { openDatabase } from '../db/database.ts'
import type { LoadedConfig } from '../config/load-config.ts'
import { GovMigrateError, MigrationError, describe } from '../errors.ts'
import type { Tier } from '../guard/guard.ts'
import { readMetrics, readShape, METRICS, type Metrics, type Shape } from '../fingerprint/metrics.ts'
import { gateRefusal, readOspa, refuseGate } from '../gate/ospa-gate.ts'
import { loadMigrations, type LoadedMigration } from './load-migrations.ts'
import { deleteLogEntry, logStorage, readLog, writeLogEntry, type LogEntry } from './log-storage.ts'
import { assertHistory } from './history.ts'
import { acquireRunLock, releaseRunLock } from './lock.ts'
import type { Deltas } from './migration.ts'

export type Direction = 'up' | 'down'

export interface RunOptions {
  url: string
  config: LoadedConfig
  /** Stage id to stop at; for `down`, `'0'` reverts the whole track. */
  to?: string
  /** The explicit decision emit activation (T6) needs besides ospa ≥ 1. */
  activateEmit?: boolean
  onEvent?: (event: StepEvent) => void
}

/** What one applied or reverted migration did, measured. */
export interface StepEvent {
  direction: Direction
  id: string
  name: string
  title: string
  expected: Deltas
  measured: Deltas
  /** Readings the migration noted (coverage, scan results, …). */
  notes: string[]
  ms: number
}

export interface RunResult {
  direction: Direction
  track: Tier
  steps: StepEvent[]
}

export async function migrationsOf(config: LoadedConfig): Promise<LoadedMigration[]> {
  return loadMigrations(resolve(config.root, config.migrationsDir))
}

function knownIds(loaded: readonly LoadedMigration[]): string {
  return loaded.map((m) => m.migration.id).join(', ')
}

/** The migration a `--to` names, or a one-line error listing the known ids. */
export function findById(loaded: readonly LoadedMigration[], id: string): LoadedMigration {
  const found = loaded.find((m) => m.migration.id === id)
  if (!found) {
    throw new GovMigrateError(`unknown stage "${id}"`, `use one of: ${knownIds(loaded)}${''}`)
  }
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

const METRIC_KEYS = new Set(METRICS.map((m) => m.key))

/** The declared deltas of `m` on `shape`, checked to name only known metrics. */
export function declaredDeltas(m: LoadedMigration, shape: Shape): Deltas {
  const declared = m.migration.expect(shape)
  const unknown = Object.keys(declared).filter((key) => !METRIC_KEYS.has(key))
  if (unknown.length > 0) {
    throw new GovMigrateError(
      `migration ${m.name} declares unknown numbers: ${unknown.join(', ')}`,
      `declare only: ${[...METRIC_KEYS].join(', ')}`,
    )
  }
  return declared
}

interface ApplyContext {
  config: LoadedConfig
  activateEmit: boolean
  events: StepEvent[]
  onEvent?: (event: StepEvent) => void
}

/**
 * Runs one migration in one transaction: gate (production tier), measure, change,
 * measure again, compare with the declaration, write the log entry, commit.
 * Any failure rolls back all of it, the log entry included.
 */
async function applyOne(conn: Kysely<DB>, m: LoadedMigration, direction: Direction, ctx: ApplyContext): Promise<void> {
  const started = performance.now()
  try {
    const event = await conn.transaction().execute(async (trx) => {
      if (m.migration.tier === 'production') {
        const reading = await readOspa(trx, ctx.config.ratificationProposal)
        const needsDecision = m.migration.requiresDecision === true && direction === 'up'
        const refusal = gateRefusal(reading, { needsDecision, decided: ctx.activateEmit })
        if (refusal) refuseGate(m.migration.id, refusal, needsDecision)
      }
      const shape = await readShape(trx)
      const declared = declaredDeltas(m, shape)
      const expected = direction === 'up' ? declared : negate(declared)
      const before = await readMetrics(trx)
      const notes: string[] = []
      await m.migration[direction]({ db: trx, shape, note: (line) => notes.push(line) })
      const measured = measuredDeltas(before, await readMetrics(trx))
      const mismatches = deltaMismatches(expected, measured)
      if (mismatches.length > 0) {
        throw new GovMigrateError(
          `measured deltas differ from the declaration: ${mismatches.join('; ')}`,
          `correct ${m.name}'s up/down or its expect(); nothing was committed`,
        )
      }
      if (direction === 'up') await writeLogEntry(trx, m)
      else await deleteLogEntry(trx, m)
      return {
        direction,
        id: m.migration.id,
        name: m.name,
        title: m.migration.title,
        expected,
        measured,
        notes,
        ms: Math.round(performance.now() - started),
      }
    })
    ctx.events.push(event)
    ctx.onEvent?.(event)
  } catch (error) {
    if (error instanceof GovMigrateError && error.name === 'RefusedError') throw error
    throw new MigrationError(m.migration.id, direction, error instanceof GovMigrateError ? error.message : describe(error))
  }
}

/** Umzug wraps a migration's error in its own; hand back ours. */
function unwrapUmzug(error: unknown): unknown {
  let current = error
  while (current instanceof Error && !(current instanceof GovMigrateError) && current.cause !== undefined) {
    current = current.cause
  }
  return current instanceof GovMigrateError ? current : error
}

/**
 * Runs `plan(log)` under the run lock on one pinned, guarded connection, through Umzug.
 * The plan is computed after the lock is taken, from the log as it is then.
 */
async function runLocked(
  options: RunOptions,
  direction: Direction,
  track: Tier,
  plan: (log: LogEntry[], loaded: LoadedMigration[]) => LoadedMigration[],
): Promise<RunResult> {
  const loaded = await migrationsOf(options.config)
  const { db, close } = openDatabase(options.url, { policy: track === 'clone' ? 'clone' : 'any', max: 1 })
  const events: StepEvent[] = []
  try {
    await db.connection().execute(async (conn) => {
      await acquireRunLock(conn, options.config.lockTimeoutMs)
      try {
        const log = await readLog(conn)
        assertHistory(log, loaded)
        const steps = plan(log, loaded)
        const ctx: ApplyContext = { config: options.config, activateEmit: options.activateEmit === true, events, ...(options.onEvent ? { onEvent: options.onEvent } : {}) }
        const umzug = new Umzug<Kysely<DB>>({
          migrations: loaded
            .filter((m) => m.migration.tier === track)
            .map((m) => ({
              name: m.name,
              path: m.file,
              up: async () => applyOne(conn, m, 'up', ctx),
              down: async () => applyOne(conn, m, 'down', ctx),
            })),
          storage: logStorage(conn),
          context: conn,
          logger: undefined,
        })
        const names = steps.map((m) => m.name)
        if (names.length === 0) return
        if (direction === 'up') await umzug.up({ migrations: names })
        else await umzug.down({ migrations: names })
      } finally {
        await releaseRunLock(conn).catch(() => undefined)
      }
    })
  } catch (error) {
    throw unwrapUmzug(error)
  } finally {
    await close()
  }
  return { direction, track, steps: events }
}

/**
 * Applies pending migrations of one track up to `to` (default: the last clone stage).
 * A plain `up` never runs a production tier: tiers are selected with `--to T…`.
 */
export async function up(options: RunOptions): Promise<RunResult> {
  const loaded = await migrationsOf(options.config)
  const target = options.to
    ? findById(loaded, options.to)
    : loaded.filter((m) => m.migration.tier === 'clone').at(-1)
  if (!target) throw new GovMigrateError('there are no clone migrations', 'add migrations to the migrations folder')
  const track = target.migration.tier
  return runLocked(options, 'up', track, (log, all) => {
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

/**
 * Reverts applied migrations of one track: the last one, or all after `to`, or all (`to = '0'`).
 */
export async function down(options: RunOptions): Promise<RunResult> {
  const loaded = await migrationsOf(options.config)
  const target = options.to && options.to !== '0' ? findById(loaded, options.to) : undefined
  const track = target?.migration.tier ?? (await lastAppliedTrack(options, loaded))
  if (!track) return { direction: 'down', track: 'clone', steps: [] }
  return runLocked(options, 'down', track, (log, all) => {
    const applied = new Set(log.map((entry) => entry.name))
    const executed = all.filter((m) => m.migration.tier === track && applied.has(m.name)).reverse()
    if (options.to === '0') return executed
    if (!target) return executed.slice(0, 1)
    if (!applied.has(target.name)) {
      throw new GovMigrateError(`stage ${target.migration.id} is not applied`, 'run `migrate status` to see the applied stages')
    }
    return executed.slice(0, executed.findIndex((m) => m.name === target.name))
  })
}
