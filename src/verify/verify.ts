import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { openDatabase } from '../db/database.ts'
import { withDatabase } from '../db/url.ts'
import type { LoadedConfig } from '../config/load-config.ts'
import { baselineMetrics, readMetrics, readShape, type Metrics, type Shape } from '../fingerprint/metrics.ts'
import { diffFingerprints, readFingerprint } from '../fingerprint/fingerprint.ts'
import { fingerprintOf, readMarker } from '../clone/clone.ts'
import { readCoverage } from '../pipeline/coverage.ts'
import { MARK } from '../markers.ts'
import { migrationsOf } from '../migrator/migrator.ts'
import { historyProblems } from '../migrator/history.ts'
import { readLog } from '../migrator/log-storage.ts'
import type { LoadedMigration } from '../migrator/load-migrations.ts'

export interface Check {
  name: string
  expected: string
  actual: string
  ok: boolean
}

export interface VerifyResult {
  database: string
  /** Ids of the applied clone migrations: the prefix of the pipeline being verified. */
  applied: string[]
  checks: Check[]
  ok: boolean
}

function check(name: string, expected: string | number, actual: string | number): Check {
  return { name, expected: String(expected), actual: String(actual), ok: String(expected) === String(actual) }
}

/** Tries a write that the database must reject (SQLSTATE `code`); the savepoint undoes it either way. */
async function rejects(db: Kysely<DB>, name: string, code: string, statement: ReturnType<typeof sql>): Promise<Check> {
  await sql`savepoint verify_try`.execute(db)
  try {
    await statement.execute(db)
    await sql`rollback to savepoint verify_try`.execute(db)
    return check(name, `rejected (${code})`, 'accepted')
  } catch (error) {
    await sql`rollback to savepoint verify_try`.execute(db)
    const actual = (error as { code?: string }).code ?? 'error'
    return check(name, `rejected (${code})`, `rejected (${actual})`)
  }
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
        const ids = new Set(applied.map((m) => m.migration.id))
        const checks: Check[] = historyProblems(log, loaded).map((p) => check('history', 'intact', p))

        const shape = await readShape(trx)
        const implied = impliedMetrics(applied, baselineMetrics(shape), shape)
        const actual = await readMetrics(trx)
        for (const key of Object.keys(implied)) checks.push(check(key, implied[key] ?? 0, actual[key] ?? 0))

        if (ids.has('A')) {
          const coverage = await readCoverage(trx)
          checks.push(check('coverage %', '100.00', coverage.percent))
          checks.push(check('coverage direct anchors', shape.groups * shape.scopes, coverage.directAnchors))
          checks.push(check('coverage inherited pairs', shape.collections * shape.scopes, coverage.inherited))
        }
        if (ids.has('D')) {
          checks.push(
            await rejects(trx, 'emit of an inactive type', '23514',
              sql`update governance_event_log set emitted = true where id = (select min(id) from governance_event_log)`),
          )
        }
        if (ids.has('E')) {
          const upToE = loaded.slice(0, loaded.findIndex((m) => m.migration.id === 'E') + 1)
          const eventsAtE = upToE.reduce((n, m) => n + (m.migration.expect(shape).event_log ?? 0), 0)
          const cursor = await trx.selectFrom('gov_worker_cursor').selectAll().where('worker_name', '=', MARK.worker).executeTakeFirst()
          checks.push(check('cursor watermark', 'wm-2', cursor?.watermark ?? 'none'))
          checks.push(check('cursor events_seen', eventsAtE, cursor?.events_seen ?? 0))
          checks.push(
            await rejects(trx, 'cursor moved backwards', '23514',
              sql`update gov_worker_cursor set last_event_id = last_event_id - 1 where worker_name = ${MARK.worker}`),
          )
        }
        if (ids.has('CN')) {
          checks.push(
            await rejects(trx, 'unowned containment assignment', '23503',
              sql`insert into axis_assignment (axis_code, object_kind, object_code, value_code, created_by)
                  select 'containment', 'collection', 'verify-unowned', min(group_code), 'verify' from governance_group`),
          )
        }
        if (ids.has('AX')) checks.push(check('critical drift', 0, actual.drift_critical ?? 0))
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
