import pg from 'pg'
import { format } from 'sql-formatter'
import type { CapturedQuery } from '../migrator/migrator.ts'

// pg's own serialisation of a parameter (arrays as '{…}', objects as JSON, dates with their
// offset): exactly the text it sends. It is not in @types/pg.
const { prepareValue } = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils

/**
 * A parameter as the literal psql needs to read the same value: what pg sends, quoted with
 * pg's `escapeLiteral`. pg sends every parameter as untyped text, so an untyped quoted literal
 * means the same to the server (its type is inferred from the context exactly as the
 * parameter's was); NULL stays NULL.
 */
export function literal(value: unknown): string {
  const prepared = prepareValue(value)
  if (prepared === null || prepared === undefined) return 'NULL'
  if (Buffer.isBuffer(prepared)) return `'\\x${prepared.toString('hex')}'`
  // escapeLiteral writes a string with a backslash as ` E'…'` (leading space included).
  return pg.escapeLiteral(String(prepared)).trimStart()
}

/**
 * A statement laid out by sql-formatter's PostgreSQL dialect (DDL, dollar-quoted bodies and
 * quoted text kept whole), with its `$n` parameters inlined as literals when given.
 */
export function formatSql(text: string, parameters: readonly unknown[] = []): string {
  const params = Object.fromEntries(parameters.map((value, i) => [String(i + 1), literal(value)]))
  try {
    return format(text, { language: 'postgresql', paramTypes: { numbered: ['$'] }, params, tabWidth: 2, keywordCase: 'preserve', expressionWidth: 100 }).trim()
  } catch {
    // A statement the formatter cannot parse is printed as it was sent, parameters inlined.
    return text.replace(/\$(\d+)\b/g, (whole, n: string) => params[n] ?? whole).trim()
  }
}

/** A captured statement as a psql-runnable one: laid out, parameters inlined, `;`-terminated. */
export function formatQuery(query: CapturedQuery): string {
  const text = formatSql(query.sql, query.parameters)
  return text.endsWith(';') ? text : `${text};`
}
