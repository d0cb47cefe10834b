import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import pg from 'pg'
import { cli, markedClone, PROPOSAL, type CliResult } from './helpers.ts'

/** Approvals are a human act: tests make them with plain SQL in their own fixture. */
export async function approve(url: string, proposal = PROPOSAL): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`insert into os_proposal_approvals (proposal_code, approver, level) values ($1, 'president', 'L4')`, [proposal])
  } finally {
    await client.end()
  }
}

/**
 * Production as the catalog and the data say, read with a plain client and none of the tool's
 * code: every relation, column, function body, trigger, constraint and index in a non-system
 * schema, every sequence's value, and an md5 of every table's content.
 */
export async function databaseState(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const catalog = await client.query<{ x: string }>(
      `select x from (
         select 'rel ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' ' || pg_get_userbyid(c.relowner) || ' ' || coalesce(c.relacl::text, '') as x
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_'
         union all
         select 'col ' || a.attrelid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
           from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
          where a.attnum > 0 and not a.attisdropped and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_'
         union all
         select 'proc ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc)
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname not in ('pg_catalog', 'information_schema')
         union all select 'trigger ' || tgrelid::regclass::text || '.' || tgname || ' ' || tgenabled::text from pg_trigger where not tgisinternal
         union all
         select 'constraint ' || conrelid::regclass::text || '.' || conname || ' ' || md5(pg_get_constraintdef(o.oid))
           from pg_constraint o join pg_namespace n on n.oid = o.connamespace where n.nspname not in ('pg_catalog', 'information_schema')
         union all
         select 'view ' || schemaname || '.' || viewname || ' ' || md5(definition) from pg_views where schemaname not in ('pg_catalog', 'information_schema')
         union all select 'schema ' || nspname || ' ' || pg_get_userbyid(nspowner) from pg_namespace where nspname !~ '^pg_'
       ) s order by x`,
    )
    const state: Record<string, string> = { catalog: catalog.rows.map((r) => r.x).join('\n') }
    const relations = await client.query<{ t: string; kind: string }>(
      `select format('%I.%I', n.nspname, c.relname) as t, c.relkind::text as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'S') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_' order by 1`,
    )
    for (const { t, kind } of relations.rows) {
      const query = kind === 'S' ? `select last_value || ' ' || is_called as h from ${t}` : `select count(*) || ' ' || coalesce(md5(string_agg(x::text, '|' order by x::text)), 'empty') as h from ${t} x`
      state[t] = (await client.query<{ h: string }>(query)).rows[0]?.h ?? ''
    }
    return state
  } finally {
    await client.end()
  }
}

/** A folder for receipts, removed when the test file ends. */
export function receiptDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gov-migrate-receipts-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

let receipts = 0

/**
 * The rollout's first step, as a user takes it: a fresh marked clone of production (or the one
 * given, when nothing was applied on it and production has not moved since it was made), then
 * `up --to <tier> --rehearse --url <clone> --receipt <file>`. Returns the receipt file.
 */
export async function rehearsedReceipt(production: string, tier: string, options: { clone?: string; args?: string[] } = {}): Promise<{ file: string; clone: string }> {
  const clone = options.clone ?? (await markedClone(production))
  receipts += 1
  const file = join(receiptDir(), `receipt-${tier}-${receipts}.json`)
  const result = await cli(['up', '--to', tier, '--rehearse', '--url', clone, '--receipt', file, ...(options.args ?? [])])
  assert.equal(result.code, 0, `rehearsal of ${tier} with a receipt: ${result.stderr}`)
  return { file, clone }
}

/** The rollout's second step: `up --to <tier> --url <production> --receipt <file>`. */
export function productionUp(production: string, tier: string, file: string, args: string[] = []): Promise<CliResult> {
  return cli(['up', '--to', tier, '--url', production, '--receipt', file, ...args])
}

/** Both steps: rehearse on a fresh clone with a receipt, then run on production bound to it (asserted to pass). */
export async function rollOut(production: string, tier: string, args: string[] = []): Promise<CliResult> {
  const { file } = await rehearsedReceipt(production, tier)
  const result = await productionUp(production, tier, file, args)
  assert.equal(result.code, 0, `up --to ${tier} on production with its receipt: ${result.stderr}`)
  return result
}
