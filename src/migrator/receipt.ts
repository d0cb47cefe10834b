import { readFile, writeFile } from 'node:fs/promises'
import * as z from '../zod.ts'
import { GovMigrateError, RefusedError } from '../errors.ts'
import { readMarker } from '../clone/clone.ts'
import { cloneMoves } from '../clone/snapshot.ts'
import type { Fingerprint } from '../fingerprint/fingerprint.ts'
import { diffFingerprints } from '../fingerprint/fingerprint.ts'
import type { LoadedMigration } from './load-migrations.ts'
import type { Deltas } from './migration.ts'
import { deltaMismatches, up, type RunOptions, type RunResult } from './migrator.ts'
import { sha256Of } from './module-closure.ts'

const deltas = z.record(z.string(), z.number())
const sha256 = () => z.string().check(z.regex(/^[0-9a-f]{64}$/))

/** One tier as its rehearsal on a fresh clone of production proved it. */
const receiptTier = z.strictObject({
  id: z.string(),
  name: z.string(),
  /** The module-closure hash of the tier when it was rehearsed. */
  sha256: sha256(),
  /** sha256 of the SQL its up ran (timestamps normalised). */
  sql_sha256: sha256(),
  measured_up: deltas,
  measured_down: deltas,
})

/**
 * What production may run: written by `up --to T<n> --rehearse --url <fresh clone> --receipt <file>`,
 * required by `up --to T<n> --url <production> --receipt <file>`.
 */
export const receiptSchema = z.strictObject({
  kind: z.literal('gov-migrate receipt'),
  version: z.literal(1),
  made_at: z.string(),
  clone: z.string(),
  /** Production's database and its fingerprint when the clone was made. */
  production: z.strictObject({ db: z.string(), fingerprint: z.record(z.string(), z.unknown()) }),
  target: z.string(),
  tiers: z.array(receiptTier).check(z.minLength(1)),
  round_trip: z.literal('fingerprint identical after the way back'),
})

export type Receipt = z.infer<typeof receiptSchema>
export type ReceiptTier = z.infer<typeof receiptTier>

/** A receipt as read from its file, with the sha256 of the file's bytes (kept in the log). */
export interface LoadedReceipt {
  receipt: Receipt
  sha256: string
  file: string
}

/** Parses a receipt file's text; the problem, with its path, when it is not one. */
export function parseReceipt(text: string, file: string): LoadedReceipt | string {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return `${file} is not JSON`
  }
  const parsed = receiptSchema.safeParse(raw)
  if (!parsed.success) return `${file} is not a receipt: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`
  return { receipt: parsed.data, sha256: sha256Of(text), file }
}

/** The receipt of a rehearsal of production tiers on a fresh clone of production. */
export function buildReceipt(run: RunResult, clone: string, production: Fingerprint, now = new Date()): Receipt {
  const down = new Map((run.roundTrip ?? []).map((step) => [step.name, step.measured]))
  const target = run.steps.at(-1)?.id ?? ''
  return {
    kind: 'gov-migrate receipt',
    version: 1,
    made_at: now.toISOString(),
    clone,
    production: { db: production.db, fingerprint: { ...production } },
    target,
    tiers: run.steps.map((step) => ({
      id: step.id,
      name: step.name,
      sha256: step.sha256,
      sql_sha256: step.sqlSha256,
      measured_up: step.measured,
      measured_down: down.get(step.name) ?? {},
    })),
    round_trip: 'fingerprint identical after the way back',
  }
}

/**
 * Why production may not run `steps` under this receipt (null when it may): a tier the
 * receipt does not cover, a module hash that differs from the files now, or production's
 * governance state no longer the one the rehearsed clone was made from.
 */
export function receiptRefusal(loaded: LoadedReceipt, steps: readonly LoadedMigration[], production: Fingerprint): string | null {
  const { receipt, file } = loaded
  const byName = new Map(receipt.tiers.map((t) => [t.name, t]))
  const uncovered = steps.filter((m) => !byName.has(m.name)).map((m) => m.migration.id)
  if (uncovered.length > 0) return `the receipt ${file} does not cover ${uncovered.join(', ')}`
  const edited = steps.filter((m) => byName.get(m.name)?.sha256 !== m.sha256).map((m) => m.migration.id)
  if (edited.length > 0) return `${edited.join(', ')} differ from what the receipt ${file} rehearsed (module hash)`
  if (receipt.production.db !== production.db) return `the receipt ${file} was made for ${receipt.production.db}, not ${production.db}`
  const moved = diffFingerprints(receipt.production.fingerprint as unknown as Fingerprint, production)
  if (moved.length > 0) return `production's governance state changed since the receipt's clone was made (${moved.join(', ')}): the receipt is stale`
  return null
}

/** How a tier's run on production differs from its receipt: SQL hash, measured deltas. */
export function tierMismatches(tier: ReceiptTier, sqlSha256: string, measured: Deltas): string[] {
  return [
    ...(tier.sql_sha256 === sqlSha256 ? [] : [`its SQL differs from the rehearsed SQL (sha256 ${sqlSha256.slice(0, 12)}… , receipt ${tier.sql_sha256.slice(0, 12)}…)`]),
    ...deltaMismatches(tier.measured_up, measured).map((m) => `measured deltas differ from the receipt: ${m.replace('expected', 'receipt')}`),
  ]
}

/** Reads the receipt file a production run is bound to; a missing or malformed one is a refusal (nothing ran). */
export async function loadReceipt(file: string): Promise<LoadedReceipt> {
  const fix = 'rehearse on a fresh clone of production: migrate up --to <tier> --rehearse --url <clone> --receipt <file>'
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new RefusedError(`refused: there is no receipt at ${file}`, fix)
  }
  const parsed = parseReceipt(text, file)
  if (typeof parsed === 'string') throw new RefusedError(`refused: ${parsed}`, fix)
  return parsed
}

/**
 * Rehearses production tiers on a fresh clone of production and writes their receipt: the clone
 * must be marked and have nothing applied since it was made (what it carried from production
 * aside), so that what it proves is production as it was.
 */
export async function rehearseWithReceipt(options: RunOptions & { receiptFile: string }): Promise<{ run: RunResult; receipt: Receipt }> {
  const marker = await readMarker(options.url)
  if (!marker || marker.golden) throw new RefusedError(`refused: a receipt is written by a rehearsal on a fresh marked clone of production`, 'make one: migrate clone create --from <production url>')
  const since = await cloneMoves(options.url)
  if (since.length > 0) throw new RefusedError(`refused: since the clone was made, ${since.join(', ')}: it no longer shows production`, 'rehearse on a fresh clone of production (migrate clone create, or clone reset)')
  const run = await up({ ...options, rehearse: true })
  if (run.track !== 'production' || run.steps.length === 0) throw new GovMigrateError('a receipt covers production tiers: nothing was rehearsed', 'pass --to T<n> with a pending tier')
  const receipt = buildReceipt(run, marker.cloneName, marker.sourceFingerprint)
  await writeFile(options.receiptFile, `${JSON.stringify(receipt, null, 2)}\n`)
  return { run, receipt }
}
