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
