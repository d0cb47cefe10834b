import { sql } from 'kysely'
import type { StopGate, StopGateContext } from '../migrator/migration.ts'
import { narrow, type DB as Baseline } from '../db/schema.ts'
import { readMetrics } from '../fingerprint/metrics.ts'
import { GovMigrateError } from '../errors.ts'

/**
 * A stop-gate requiring a pipeline number to equal a value (computed on the target's shape). The
 * number is the tool's or one a stage defines (`metrics` of a migration), as the run measures it.
 */
export function metricEquals<S extends Baseline>(key: string, expected: (shape: StopGateContext['shape']) => number, name?: string): StopGate<S> {
  return {
    name: name ?? `${key} = expected`,
    async check({ db, shape, metrics }) {
      const definition = metrics.find((m) => m.key === key)
      if (!definition) throw new GovMigrateError(`the stop-gate "${name ?? key}" reads an unknown number ${key}`, `use one of: ${metrics.map((m) => m.key).join(', ')}`)
      const want = expected(shape)
      const actual = (await readMetrics(narrow<Baseline, S>(db), [definition]))[key] ?? 0
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
