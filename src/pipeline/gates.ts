import { sql } from 'kysely'
import type { StopGate } from '../migrator/migration.ts'
import { narrow, type DB as Baseline } from '../db/schema.ts'
import type { MetricDefinition } from '../fingerprint/metrics.ts'
import { METRICS, readMetrics } from '../fingerprint/metrics.ts'

function metric(key: string): MetricDefinition {
  const found = METRICS.find((m) => m.key === key)
  if (!found) throw new Error(`unknown metric ${key}`)
  return found
}

/** A stop-gate requiring a pipeline number to equal a value (computed on the target's shape). */
export function metricEquals<S extends Baseline>(key: string, expected: (shape: Parameters<StopGate['check']>[0]['shape']) => number, name?: string): StopGate<S> {
  return {
    name: name ?? `${key} = expected`,
    async check({ db, shape }) {
      const want = expected(shape)
      const actual = (await readMetrics(narrow<Baseline, S>(db), [metric(key)]))[key] ?? 0
      return actual === want ? null : `${key} is ${actual}, expected ${want}`
    },
  }
}

/** A stop-gate requiring a trigger to be present (or absent). */
export function triggerPresent<S>(trigger: string, table: string, present: boolean): StopGate<S> {
  return {
    name: `${trigger} on ${table} ${present ? 'present' : 'absent'}`,
    async check({ db }) {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_trigger where tgname = ${trigger} and tgrelid = to_regclass(${table})`.execute(db)
      const found = (rows[0]?.n ?? 0) > 0
      return found === present ? null : `${trigger} is ${found ? 'present' : 'absent'}`
    },
  }
}
