import type { CapturedQuery } from './migrator.ts'
import { sha256Of } from './module-closure.ts'

/**
 * A parameter as it enters the SQL hash. Values that differ by nature from run to run are
 * normalised: a `Date` parameter (a timestamp the body took from the clock) hashes as
 * `<timestamp>`. Everything else hashes as its JSON text, so a changed value changes the hash.
 */
function normalised(value: unknown): unknown {
  if (value instanceof Date) return '<timestamp>'
  if (typeof value === 'bigint') return value.toString()
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`
  return value
}

/** sha256 of the statements a migration body executed, in order, parameters included. */
export function sqlSha256(queries: readonly CapturedQuery[]): string {
  return sha256Of(JSON.stringify(queries.map((q) => [q.sql, q.parameters.map(normalised)])))
}
