import { sql } from 'kysely'
import { typeDiff, type TypeDiff } from '../plan/type-diff.ts'
import { fingerprintSettings, type LoadedConfig } from '../config/load-config.ts'
import { openDatabase } from '../db/database.ts'
import { databaseOf, withDatabase } from '../db/url.ts'
import { GovMigrateError, RefusedError, describe } from '../errors.ts'
import { TOOL_SCHEMA } from '../guard/connection-facts.ts'
import { createClone, dropClone, isClone, readMarker, type CloneStrategy } from '../clone/clone.ts'
import { fingerprintOf } from '../fingerprint/read.ts'
import type { DumpProgress } from '../clone/dump.ts'
import { cloneMoves, goldenName, resetClone, snapshotClone } from '../clone/snapshot.ts'
import { compareFingerprints, diffFingerprints, organicLines, type Fingerprint } from '../fingerprint/fingerprint.ts'
import { down, migrationsOf, up, type CapturedQuery } from '../migrator/migrator.ts'
import type { Deltas } from '../migrator/migration.ts'
import { CATALOG_CHECK, verify, type VerifyResult } from '../verify/verify.ts'
import { TOOL_TABLES } from '../migrator/log-storage.ts'
import type { LoadedMigration } from '../migrator/load-migrations.ts'

export interface RehearseOptions {
  /** The production channel: only read. */
  productionUrl: string
  /** The admin channel that makes, resets and reaches the clone (default: the production URL's credentials). */
  adminUrl?: string
  cloneName: string
  config: LoadedConfig
  strategy?: CloneStrategy
  onStep?: (step: RehearseStep) => void
  onProgress?: (line: string) => void
  onDumpProgress?: (progress: DumpProgress) => void
  /** Aborts a clone being made (its half-made database is dropped). */
  signal?: AbortSignal
  /** Reset (or re-make) the clone even when it has migrations applied. */
  reset?: boolean
  /**
   * The last clone stage to rehearse (default: the last one). A shorter range is still a whole
   * rehearsal of it: up with verify, down to 0 with verify, the clone back at its creation
   * catalog and fingerprint, up again, production unchanged.
   */
  to?: string
}

export interface RehearseStep {
  step: string
  ok: boolean
  detail: string
}

export interface StageRecord {
  id: string
  name: string
  title: string
  sha256: string
  expected: Deltas
  measured: Deltas | null
  measuredDown: Deltas | null
  notes: string[]
  sql: CapturedQuery[]
  verified: { passed: number; failed: number } | null
  /** How the generated TypeScript types change across the stage (absent in records made before they were kept). */
  types?: TypeDiff
}

/** Everything a rehearsal saw: what `migrate report` turns into the evidence packet. */
export interface RehearseRecord {
  startedAt: string
  finishedAt: string
  production: string
  clone: string
  /** The stages rehearsed, first to last (all clone stages unless `--to` named an earlier one). */
  range?: string
  verdict: 'PASS' | 'FAIL'
  failedStep: string | null
  entry: Fingerprint
  exit: Fingerprint | null
  cloneCreation: Fingerprint | null
  steps: RehearseStep[]
  stages: StageRecord[]
}

class StepFailed extends Error {}

/**
 * Stage F, the reports' whole run in one command: production fingerprint at entry; a clone
 * (reset from its golden snapshot when it has one, else made and snapshotted); up through
 * every clone stage with verify after each; down to 0 with verify after each; the clone's
 * fingerprint equal to its creation fingerprint; up again (idempotent); production at exit
 * equal to entry. Stops at the first failure, names the step, leaves the clone for inspection.
 * The record is kept in the clone for `migrate report`.
 */
export async function rehearse(options: RehearseOptions): Promise<RehearseRecord> {
  const { config } = options
  const proposal = fingerprintSettings(config)
  const cloneUrl = withDatabase(options.adminUrl ?? options.productionUrl, options.cloneName)
  const steps: RehearseStep[] = []
  // A clone with migrations applied is somebody's work in progress: never dropped unless told.
  const applied = (await isClone(cloneUrl)) ? (await cloneMoves(cloneUrl)).length : 0
  if (applied > 0 && options.reset !== true) {
    throw new RefusedError(
      `refused: the clone ${options.cloneName} has ${applied} applied migration(s); rehearse does not drop or reset it unless told`,
      'pass --reset to reset it from its golden snapshot (or make it again), or name another clone with --name',
    )
  }
  const resetNote = applied > 0 ? ` (it had ${applied} applied migration(s); --reset)` : ''
  const loaded = rehearsedStages((await migrationsOf(config)).filter((m) => m.migration.tier === 'clone'), options.to)
  const stages = new Map<string, StageRecord>(
    loaded.map((m) => [
      m.migration.id,
      { id: m.migration.id, name: m.name, title: m.migration.title, sha256: m.sha256, expected: {}, measured: null, measuredDown: null, notes: [], sql: [], verified: null, types: typeDiff(config, loaded, m) },
    ]),
  )
  const record: RehearseRecord = {
    startedAt: new Date().toISOString(),
    finishedAt: '',
    production: databaseOf(options.productionUrl),
    clone: options.cloneName,
    range: `${loaded[0]?.migration.id ?? ''}…${loaded.at(-1)?.migration.id ?? ''}`,
    verdict: 'PASS',
    failedStep: null,
    entry: await fingerprintOf(options.productionUrl, proposal),
    exit: null,
    cloneCreation: null,
    steps,
    stages: [],
  }
  const step = (name: string, ok: boolean, detail: string) => {
    const s = { step: name, ok, detail }
    steps.push(s)
    options.onStep?.(s)
    if (!ok) throw new StepFailed(`${name}: ${detail}`)
  }
  const verifyStep = async (name: string, stage?: StageRecord) => {
    const result = await verify(cloneUrl, config)
    const failed = result.checks.filter((c) => !c.ok)
    if (stage) stage.verified = { passed: result.checks.length - failed.length, failed: failed.length }
    step(name, failed.length === 0, failed.length === 0 ? `${result.checks.length} checks passed` : failed.map((c) => `${c.name} expected ${c.expected}, actual ${c.actual}`).join('; '))
    return result
  }
  step('production fingerprint at entry', true, `${record.entry.db}: own ${record.entry.own}, gap ${record.entry.gap}, ospa ${record.entry.ospa}`)

  try {
    // 1. The clone: reset from the golden snapshot, or made fresh (and snapshotted).
    const golden = withDatabase(cloneUrl, goldenName(options.cloneName))
    const goldenMarker = (await isClone(cloneUrl)) ? await readMarker(golden).catch(() => null) : null
    // The golden snapshot follows production: when production's governance state moved since it
    // was taken, it no longer rehearses this production, so a new clone and snapshot are made.
    const moved = goldenMarker?.golden ? diffFingerprints(goldenMarker.sourceFingerprint, record.entry).filter((k) => k !== 'db') : []
    if (moved.length > 0) {
      step('golden snapshot follows production', true, `production's governance state changed since the golden snapshot was taken (${moved.join(', ')}): taking a new one`)
    }
    if (goldenMarker?.golden && moved.length === 0) {
      const reset = await resetClone(cloneUrl)
      step('clone', true, `${options.cloneName} reset from its golden snapshot in ${reset.ms} ms${resetNote}`)
    } else {
      if (await isClone(cloneUrl)) await dropClone(cloneUrl)
      const made = await createClone({
        from: options.productionUrl,
        ...(options.adminUrl ? { admin: options.adminUrl } : {}),
        name: options.cloneName,
        proposal,
        strategy: options.strategy ?? 'auto',
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.onDumpProgress ? { onDumpProgress: options.onDumpProgress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      })
      await snapshotClone(cloneUrl)
      step('clone', true, `${made.name} made (${made.strategy}) in ${made.ms} ms, golden snapshot kept${resetNote ? `; the old clone was dropped${resetNote}` : ''}`)
    }
    record.cloneCreation = (await readMarker(cloneUrl))?.createdFingerprint ?? null
    const fidelity = record.cloneCreation ? diffFingerprints(record.entry, record.cloneCreation).filter((k) => k !== 'db') : ['no creation fingerprint']
    step('clone equals production at entry', fidelity.length === 0, fidelity.length === 0 ? 'identical but for the name' : `differs in ${fidelity.join(', ')}`)
    await verifyStep('verify: nothing applied')

    // 2. Up through every stage, verify after each.
    for (const m of loaded) {
      const stage = stages.get(m.migration.id)
      const result = await up({ url: cloneUrl, config, to: m.migration.id, capture: true }).catch((error: unknown) => {
        step(`up ${m.migration.id}`, false, describe(error))
        throw error
      })
      const event = result.steps[0]
      if (stage && event) Object.assign(stage, { expected: event.expected, measured: event.measured, notes: event.notes, sql: event.sql ?? [] })
      step(`up ${m.migration.id}`, event !== undefined, event ? `${m.migration.title}` : 'nothing applied')
      await verifyStep(`verify after ${m.migration.id}`, stage)
    }

    // 3. Down to 0, verify after each.
    let atZero: VerifyResult | undefined
    for (const m of [...loaded].reverse()) {
      const result = await down({ url: cloneUrl, config }).catch((error: unknown) => {
        step(`down ${m.migration.id}`, false, describe(error))
        throw error
      })
      const event = result.steps[0]
      const stage = stages.get(m.migration.id)
      if (stage && event) stage.measuredDown = event.measured
      step(`down ${m.migration.id}`, event?.id === m.migration.id, event ? `reverted` : 'nothing reverted')
      atZero = await verifyStep(`verify after down ${m.migration.id}`)
    }
    // The verify after the last down compared the whole clone with its creation catalog (nothing
    // is applied then): its check is this step, not a second read of every table.
    const catalog = atZero?.checks.find((c) => c.name === CATALOG_CHECK)
    step('clone back at its creation catalog', catalog?.ok === true, !catalog ? 'the clone kept no catalog snapshot' : catalog.ok ? 'every object, sequence and table content as at creation' : catalog.actual)
    const back = await fingerprintOf(cloneUrl, proposal)
    const differ = record.cloneCreation ? diffFingerprints(record.cloneCreation, back) : ['no creation fingerprint']
    step('clone back at its creation fingerprint', differ.length === 0, differ.length === 0 ? 'identical' : `differs in ${differ.join(', ')}`)

    // 4. Up again: the same result; a further up applies nothing.
    const last = loaded.at(-1)?.migration.id
    const again = await up({ url: cloneUrl, config, ...(last ? { to: last } : {}) })
    step('up again', again.steps.length === loaded.length, `${again.steps.length} stages applied`)
    await verifyStep('verify after up again')
    const idle = await up({ url: cloneUrl, config, ...(last ? { to: last } : {}) })
    step('up once more (idempotent)', idle.steps.length === 0, `${idle.steps.length} stages applied`)

    // 5. Production untouched.
    record.exit = await fingerprintOf(options.productionUrl, proposal)
    const { governance: prod, organic, health } = compareFingerprints(record.entry, record.exit)
    const readings = [...organicLines(organic).map((l) => `organic: ${l}`), ...health.map((h) => `health warning: ${h}`)]
    step(
      'production fingerprint at exit',
      prod.length === 0,
      `${prod.length === 0 ? 'governance state identical to entry' : `governance state differs in ${prod.join(', ')}`}${readings.length > 0 ? `; ${readings.join('; ')}` : ''}`,
    )
  } catch (error) {
    record.verdict = 'FAIL'
    record.failedStep = steps.find((s) => !s.ok)?.step ?? 'unexpected error'
    if (!(error instanceof StepFailed) && !steps.some((s) => !s.ok)) steps.push({ step: 'unexpected error', ok: false, detail: describe(error) })
    record.exit ??= await fingerprintOf(options.productionUrl, proposal).catch(() => null)
  }
  record.finishedAt = new Date().toISOString()
  record.stages = [...stages.values()]
  await storeRecord(cloneUrl, record).catch(() => undefined)
  if (record.verdict === 'FAIL') {
    const failed = steps.find((s) => !s.ok)
    throw new GovMigrateError(
      `the rehearsal failed at step "${record.failedStep ?? ''}": ${failed?.detail ?? ''}`,
      `the clone ${options.cloneName} is left as it is for inspection (migrate status / verify --url …/${options.cloneName})`,
    )
  }
  return record
}

/** The clone stages from the first up to `to` (all without it); a production tier or an unknown id is refused. */
function rehearsedStages(stages: LoadedMigration[], to: string | undefined): LoadedMigration[] {
  if (to === undefined) return stages
  const at = stages.findIndex((m) => m.migration.id === to)
  if (at < 0) {
    throw new GovMigrateError(
      `rehearse --to ${to}: not a clone stage`,
      `name one of ${stages.map((m) => m.migration.id).join(', ')} (production tiers rehearse with: migrate up --to T<n> --rehearse --url <clone>)`,
    )
  }
  return stages.slice(0, at + 1)
}

/** Keeps the record in the clone's tool schema (no fingerprint reads it). */
async function storeRecord(cloneUrl: string, record: RehearseRecord): Promise<void> {
  const { db, close } = openDatabase(cloneUrl, { policy: 'clone', max: 1 })
  try {
    await sql.raw(TOOL_TABLES.rehearse_runs).execute(db)
    await sql`insert into ${sql.id(TOOL_SCHEMA, 'rehearse_runs')} (record) values (${JSON.stringify(record)}::jsonb)`.execute(db)
  } finally {
    await close()
  }
}

/** The latest rehearsal record kept in a clone. */
export async function latestRecord(cloneUrl: string): Promise<RehearseRecord> {
  const { db, close } = openDatabase(cloneUrl, { policy: 'any', readOnly: true, max: 1 })
  try {
    const { rows: present } = await sql<{ ok: boolean }>`select pg_catalog.to_regclass(${`${TOOL_SCHEMA}.rehearse_runs`}) is not null as ok`.execute(db)
    const rows = present[0]?.ok ? (await sql<{ record: RehearseRecord }>`select record from ${sql.id(TOOL_SCHEMA, 'rehearse_runs')} order by id desc limit 1`.execute(db)).rows : []
    const row = rows[0]
    if (!row) throw new GovMigrateError(`${databaseOf(cloneUrl)} holds no rehearsal`, 'run `migrate rehearse --from <production url>` first')
    return row.record
  } finally {
    await close()
  }
}
