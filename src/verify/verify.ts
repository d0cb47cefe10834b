import { openDatabase } from '../db/database.ts'
import { withDatabase } from '../db/url.ts'
import type { LoadedConfig } from '../config/load-config.ts'
import { baselineMetrics, metricsWith, readMetrics, readShape, type Metrics, type Shape } from '../fingerprint/metrics.ts'
import { diffFingerprints, readFingerprint } from '../fingerprint/fingerprint.ts'
import { fingerprintOf, readMarker } from '../clone/clone.ts'
import { migrationsOf } from '../migrator/migrator.ts'
import { historyProblems } from '../migrator/history.ts'
import { readLog } from '../migrator/log-storage.ts'
import type { LoadedMigration } from '../migrator/load-migrations.ts'

import { check, type Check } from './checks.ts'

export type { Check }

export interface VerifyResult {
  database: string
  /** Ids of the applied clone migrations: the prefix of the pipeline being verified. */
  applied: string[]
  checks: Check[]
  ok: boolean
}

/** The numbers the applied migrations imply: baseline plus every declared delta. */
export function impliedMetrics(applied: readonly LoadedMigration[], baseline: Metrics, shape: Shape): Metrics {
  const implied = { ...baseline }
  for (const m of applied) {
    for (const [key, delta] of Object.entries(m.migration.expect(shape))) implied[key] = (implied[key] ?? 0) + delta
  }
  return implied
}

/**
 * Asserts the state that the executed migrations imply: every number, the fail-closed
 * boundaries (by trying them), 0 critical drift, and production untouched. Runs in one
 * transaction that is always rolled back: it writes nothing.
 */
export async function verify(url: string, config: LoadedConfig): Promise<VerifyResult> {
  const loaded = await migrationsOf(config)
  const marker = await readMarker(url)
  const { db, pool, close } = openDatabase(url, { policy: 'clone', max: 1 })
  let result: VerifyResult | undefined
  try {
    await db
      .transaction()
      .execute(async (trx) => {
        const log = await readLog(trx)
        const appliedNames = new Set(log.map((e) => e.name))
        const applied = loaded.filter((m) => m.migration.tier === 'clone' && appliedNames.has(m.name))
        const checks: Check[] = historyProblems(log, loaded).map((p) => check('history', 'intact', p))

        const shape = await readShape(trx)
        const implied = impliedMetrics(applied, baselineMetrics(shape), shape)
        const actual = await readMetrics(trx, metricsWith(loaded))
        for (const key of Object.keys(implied)) checks.push(check(key, implied[key] ?? 0, actual[key] ?? 0))

        // Each applied stage's own checks, given the numbers implied right after it.
        const atStage = baselineMetrics(shape)
        for (const m of applied) {
          for (const [key, delta] of Object.entries(m.migration.expect(shape))) atStage[key] = (atStage[key] ?? 0) + delta
          if (m.migration.verify) checks.push(...(await m.migration.verify({ db: trx, shape, implied: { ...atStage }, actual })))
        }
        if (applied.length === 0 && marker?.createdFingerprint) {
          const now = await readFingerprint(trx, config.ratificationProposal)
          const differ = diffFingerprints(marker.createdFingerprint, now).filter((k) => k !== 'idle_in_txn')
          checks.push(check('clone equals its creation fingerprint', 'no difference', differ.length === 0 ? 'no difference' : differ.join(', ')))
        }
        if (marker) {
          let differ: string
          try {
            // The production channel when configured (the admin role may not read production's tables).
            const productionUrl = config.productionUrl ? withDatabase(config.productionUrl, marker.sourceDatabase) : withDatabase(url, marker.sourceDatabase)
            const production = await fingerprintOf(productionUrl, config.ratificationProposal)
            const keys = diffFingerprints(marker.sourceFingerprint, production)
            differ = keys.length === 0 ? 'no difference' : keys.join(', ')
          } catch (error) {
            differ = `unreadable: ${error instanceof Error ? error.message : String(error)}`
          }
          checks.push(check(`production ${marker.sourceDatabase} untouched since the clone`, 'no difference', differ))
        }
        result = { database: pool.facts?.database ?? '', applied: applied.map((m) => m.migration.id), checks, ok: checks.every((c) => c.ok) }
        // Always roll back: the fail-closed tries ran in savepoints, and verify writes nothing.
        throw new RolledBack()
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error
      })
  } finally {
    await close()
  }
  if (!result) throw new Error('verify produced no result')
  return result
}

class RolledBack extends Error {}
