import { sql, type RawBuilder } from 'kysely'
import type { On } from '../db/schema.ts'

/** One line of `migrate verify`: what was expected, what the database says. */
export interface Check {
  name: string
  expected: string
  actual: string
  ok: boolean
}

export function check(name: string, expected: string | number, actual: string | number): Check {
  return { name, expected: String(expected), actual: String(actual), ok: String(expected) === String(actual) }
}

/**
 * A fail-closed boundary read, not tried: the trigger that enforces it is on its table and
 * enabled. What production verify can check of a boundary, since it never writes.
 */
export async function triggerEnabled<S>(db: On<S>, trigger: string, table: string): Promise<Check> {
  const { rows } = await sql<{ state: string }>`
    select case t.tgenabled when 'D' then 'disabled' else 'enabled' end as state
    from pg_catalog.pg_trigger t where t.tgname = ${trigger} and t.tgrelid = pg_catalog.to_regclass(${table})`.execute(db)
  return check(`${trigger} on ${table}`, 'enabled', rows[0]?.state ?? 'absent')
}

/** Tries a write that the database must reject (SQLSTATE `code`); the savepoint undoes it either way. */
export async function rejects<S>(db: On<S>, name: string, code: string, statement: RawBuilder<unknown>): Promise<Check> {
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
