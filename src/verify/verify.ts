import { openDatabase } from '../db/database.ts'
import { withDatabase } from '../db/url.ts'
import { fingerprintSettings, type LoadedConfig } from '../config/load-config.ts'
import { baselineMetrics, metricsWith, readMetrics, readShape, type Metrics, type Shape } from '../fingerprint/metrics.ts'
import { diffFingerprints, readFingerprint, type Fingerprint } from '../fingerprint/fingerprint.ts'
import { hasClonePrefix } from '../guard/guard.ts'
import { isClone, readMarker } from '../clone/clone.ts'
import { fingerprintOf } from '../fingerprint/read.ts'
import { diffCatalog, readCatalog, readStoredCatalog } from '../clone/catalog.ts'
import { migrationsOf } from '../migrator/migrator.ts'
import { historyProblems } from '../migrator/history.ts'
import { readLog } from '../migrator/log-storage.ts'
import type { LoadedMigration } from '../migrator/load-migrations.ts'
import type { Deltas } from '../migrator/migration.ts'

import { check, type Check } from './checks.ts'

export type { Check }

/** The check that compares a clone with nothing applied to its creation catalog (whole database). */
export const CATALOG_CHECK = 'clone equals its creation catalog'

export interface VerifyResult {
  database: string
  /** Not a marked clone: verified through the read-only channel, nothing tried that writes. */
  production: boolean
  /** What was not run, and why (production: the fail-closed tries). */
  skipped: string[]
  /** Ids of the applied migrations (both tracks): the prefix of the pipeline being verified. */
  applied: string[]
  checks: Check[]
  ok: boolean
}

/** The numbers the applied migrations imply: baseline plus every migration's deltas (by default, its declaration). */
export function impliedMetrics(applied: readonly LoadedMigration[], baseline: Metrics, shape: Shape, deltasOf: (m: LoadedMigration) => Deltas = (m) => m.migration.expect(shape)): Metrics {
  const implied = { ...baseline }
  for (const m of applied) {
    for (const [key, delta] of Object.entries(deltasOf(m))) implied[key] = (implied[key] ?? 0) + delta
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
  // A marked clone is verified whole, fail-closed tries included; anything else is production,
  // read through the read-only channel, with nothing tried that writes.
  const production = !(await isClone(url))
  const marker = production ? null : await readMarker(url)
  const { db, pool, close } = openDatabase(url, production ? { policy: 'any', readOnly: true, max: 1 } : { policy: 'clone', max: 1 })
  let result: VerifyResult | undefined
  try {
    await db
      .transaction()
      .setAccessMode(production ? 'read only' : 'read write')
      .execute(async (trx) => {
        const log = await readLog(trx)
        const appliedNames = new Set(log.map((e) => e.name))
        // Both tracks: a clone of a production where tiers ran carries them.
        const applied = loaded.filter((m) => appliedNames.has(m.name))
        const checks: Check[] = historyProblems(log, loaded).map((p) => check('history', 'intact', p))
        const skipped: string[] = []

        const shape = await readShape(trx)
        // On production a tier implies what its run measured there (logged; equal to its receipt's),
        // never its formula; on a clone every migration implies its declaration.
        const logged = new Map(log.map((e) => [e.name, e.deltas]))
        const deltasOf = (m: LoadedMigration): Deltas => (production && m.migration.tier === 'production' ? logged.get(m.name) : undefined) ?? m.migration.expect(shape)
        const metrics = metricsWith(loaded)
        const implied = impliedMetrics(applied, baselineMetrics(shape, metrics), shape, deltasOf)
        const actual = await readMetrics(trx, metrics)
        for (const key of Object.keys(implied)) checks.push(check(key, implied[key] ?? 0, actual[key] ?? 0))

        // Each applied stage's own checks, given the numbers implied right after it: those that read
        // run everywhere (production included, read-only); its fail-closed tries write (in savepoints,
        // rolled back), so on production, which is only read, they are listed as skipped.
        const atStage = baselineMetrics(shape, metrics)
        for (const m of applied) {
          for (const [key, delta] of Object.entries(deltasOf(m))) atStage[key] = (atStage[key] ?? 0) + delta
          const context = { db: trx, shape, implied: { ...atStage }, actual }
          if (m.migration.verify) checks.push(...(await m.migration.verify(context)))
          if (!m.migration.tries) continue
          if (production) skipped.push(`${m.migration.id}'s fail-closed tries: they write (rolled back), and production is only read`)
          else checks.push(...(await m.migration.tries(context)))
        }

        if (production) {
          const fp = await readFingerprint(trx, fingerprintSettings(config))
          checks.push(...preflightChecks(fp, implied, applied.filter((m) => m.migration.tier === 'production').length))
        } else {
          // The whole clone against its creation, when nothing was applied on it since.
          const created = await readStoredCatalog(trx)
          const sinceCreation = log.filter((e) => !(created?.carried ?? []).includes(e.name))
          if (created && sinceCreation.length === 0) {
            const differences = diffCatalog(created, await readCatalog(trx, created))
            checks.push(check(CATALOG_CHECK, 'no difference', differences.length === 0 ? 'no difference' : differences.join('; ')))
          }
          if (sinceCreation.length === 0 && marker?.createdFingerprint) {
            const now = await readFingerprint(trx, fingerprintSettings(config))
            const differ = diffFingerprints(marker.createdFingerprint, now)
            checks.push(check('clone equals its creation fingerprint', 'no difference', differ.length === 0 ? 'no difference' : differ.join(', ')))
          }
        }
        if (marker) {
          let differ: string
          try {
            // The production channel when configured (the admin role may not read production's tables).
            const productionUrl = config.productionUrl ? withDatabase(config.productionUrl, marker.sourceDatabase) : withDatabase(url, marker.sourceDatabase)
            const production = await fingerprintOf(productionUrl, fingerprintSettings(config))
            const keys = diffFingerprints(marker.sourceFingerprint, production)
            differ = keys.length === 0 ? 'no difference' : keys.join(', ')
          } catch (error) {
            differ = `unreadable: ${error instanceof Error ? error.message : String(error)}`
          }
          checks.push(check(`production ${marker.sourceDatabase} untouched since the clone`, 'no difference', differ))
        }
        result = {
          database: pool.facts?.database ?? '',
          production,
          applied: applied.map((m) => m.migration.id),
          checks,
          skipped,
          ok: checks.every((c) => c.ok),
        }
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

/**
 * The reports' production table, checked value by value (check · required · actual): the
 * database is production (not a clone), the governance numbers are the baseline plus what the
 * applied tiers declared, ospa ≥ 1 once a tier ran (each needed it), nothing emitted, and no
 * session idle in transaction past the health threshold.
 */
export function preflightChecks(fp: Fingerprint, implied: Metrics, tiersApplied: number): Check[] {
  const row = (name: string, required: string, actual: string | number, ok: boolean): Check => ({ name: `preflight: ${name}`, expected: required, actual: String(actual), ok })
  const numbers = ['own', 'gap', 'gov_emit', 'axis_tables', 'ruleset', 'scan_run', 'cand_state', 'cand_object', 'cursor'] as const
  return [
    row('db name', 'production, not a clone', fp.db, !hasClonePrefix(fp.db)),
    row('ospa', tiersApplied > 0 ? '≥ 1 (tiers ran)' : '≥ 0 (a tier needs ≥ 1)', fp.ospa, tiersApplied > 0 ? fp.ospa >= 1 : fp.ospa >= 0),
    ...numbers.map((key) => row(key, String(implied[key] ?? 0), fp[key], fp[key] === (implied[key] ?? 0))),
    row('idle_in_txn', '0', fp.idle_in_txn, fp.idle_in_txn === 0),
  ]
}

class RolledBack extends Error {}
