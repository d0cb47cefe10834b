import type { CapturedQuery } from '../migrator/migrator.ts'

const BREAK_BEFORE = [
  'select',
  'from',
  'where',
  'and',
  'cross join',
  'inner join',
  'left join',
  'join',
  'group by',
  'order by',
  'values',
  'on conflict',
  'returning',
  'set',
  'union all',
]

/**
 * A readable layout of a compiled statement: one clause a line. Only whitespace outside
 * quotes changes; the statement means the same.
 */
export function formatSql(text: string): string {
  if (/\$\$|\n/.test(text)) return text.trim()
  const pattern = new RegExp(`\\s+(${BREAK_BEFORE.map((k) => k.replace(' ', '\\s+')).join('|')})\\s+`, 'gi')
  const parts = text.split(/('(?:[^']|'')*'|"(?:[^"]|"")*")/)
  return parts
    .map((part, i) => (i % 2 === 1 ? part : part.replace(pattern, (_, keyword: string) => `\n  ${keyword.toLowerCase().replace(/\s+/g, ' ')} `)))
    .join('')
    .replace(/\bdelete\n {2}from /g, 'delete from ')
    .trim()
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (value instanceof Date) return `'${value.toISOString()}'`
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  return `'${String(typeof value === 'object' ? JSON.stringify(value) : value).replaceAll("'", "''")}'`
}

/** A statement with its parameters listed after it, as a reviewer reads it. */
export function formatQuery(query: CapturedQuery): string {
  const params = query.parameters.map((value, i) => `--   $${i + 1} = ${literal(value)}`)
  return [`${formatSql(query.sql)};`, ...params].join('\n')
}
