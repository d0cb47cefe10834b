/**
 * Red team: a clone-tier stage that tries, through the CLI as a user would, each way
 * out of its clone. Every try must fail, and production must stay identical, measured
 * by this file's own catalog query and a content hash of every table (not by the
 * tool's fingerprint).
 */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { cli, markedClone, scalar, serverUrl, standIn } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { withClient } from '../../src/db/database.ts'
import { databaseOf, withDatabase } from '../../src/db/url.ts'
import type { DB } from '../../src/db/schema.ts'
import { assertOwnTransaction, readOwnTransaction } from '../../src/migrator/own-transaction.ts'

const EVIL = 'gov_redteam_evil'

/** The state of production as this test sees it: catalog, shared objects it could reach, every table's content. */
async function productionState(url: string): Promise<Record<string, string>> {
  const database = databaseOf(url)
  return withClient(url, async (c) => {
    const lines = await c.query<{ x: string }>(
      `select x from (
         select 'rel ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' ' || pg_get_userbyid(c.relowner) || ' ' || c.relrowsecurity as x
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
         union all
         select 'col ' || a.attrelid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
          where a.attnum > 0 and not a.attisdropped and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
         union all
         select 'proc ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc)
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname not in ('pg_catalog', 'information_schema')
         union all select 'trigger ' || tgrelid::regclass::text || '.' || tgname || ' ' || tgenabled::text from pg_trigger
         union all
         select 'rule ' || ev_class::regclass::text || '.' || rulename
           from pg_rewrite r join pg_class c on c.oid = r.ev_class join pg_namespace n on n.oid = c.relnamespace
          where n.nspname not in ('pg_catalog', 'information_schema')
         union all select 'ext ' || extname || ' ' || extversion from pg_extension
         union all select 'server ' || srvname from pg_foreign_server
         union all select 'policy ' || polrelid::regclass::text || '.' || polname from pg_policy
         union all
         select 'db ' || datname || ' ' || datallowconn || ' ' || coalesce(shobj_description(oid, 'pg_database'), '')
           from pg_database where datname = $1 or datname like '${EVIL}%'
         union all
         select 'setting ' || coalesce(array_to_string(setconfig, ','), '')
           from pg_db_role_setting where setdatabase = (select oid from pg_database where datname = $1)
         union all
         select 'role ' || rolname || ' ' || rolsuper || ' ' || rolcreatedb || ' ' || rolcreaterole || ' ' || rolcanlogin
           from pg_roles where rolname like '${EVIL}%' or rolname = current_user
       ) s order by x`,
      [database],
    )
    const tables = await c.query<{ t: string }>(
      `select format('%I.%I', n.nspname, c.relname) as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' order by 1`,
    )
    const state: Record<string, string> = { catalog: lines.rows.map((r) => r.x).join('\n') }
    for (const { t } of tables.rows) {
      const { rows } = await c.query<{ h: string; n: number }>(
        `select md5(coalesce(string_agg(h, '' order by h), '')) as h, count(*)::int as n from (select md5(x::text) as h from ${t} x) s`,
      )
      state[t] = `${rows[0]?.n} rows ${rows[0]?.h}`
    }
    return state
  })
}

/** A clone-tier stage whose up runs `body` (TypeScript, `db` in scope) and declares no change. */
function stage(body: string): string {
  return `import { sql, CompiledQuery } from 'kysely'
import { defineMigration } from '../src/migrator/migration.ts'
void CompiledQuery
export default defineMigration({
  id: 'Z', title: 'hostile stage', tier: 'clone',
  expect: () => ({}),
  async up({ db }) {
    void sql
    ${body}
  },
  async down() {},
})
`
}

const raw = (statement: string): string => `await sql.raw(${JSON.stringify(statement)}).execute(db)`

const SEPARATOR = ' ◆ '

/**
 * A body that sends each statement in turn and fails with what happened to each: the
 * refusal, the server's error, or RAN. One run per class keeps the suite short.
 */
function eachOf(statements: readonly string[]): string {
  return `const outcomes: string[] = []
    for (const statement of ${JSON.stringify(statements)}) {
      try {
        await sql.raw(statement).execute(db)
        outcomes.push('RAN ' + statement)
      } catch (error) {
        outcomes.push(error instanceof Error ? error.message : String(error))
      }
    }
    throw new Error(outcomes.join(${JSON.stringify(SEPARATOR)}))`
}

describe('red team: a clone-tier stage cannot reach outside its clone', () => {
  let production: string
  let clone: string
  const project = projectCopy({ upTo: '0001' })
  let entry: Record<string, string>
  let productionDb: string

  before(async () => {
    production = await standIn()
    productionDb = databaseOf(production)
    clone = await markedClone(production)
    const applied = await cli(['up', '--to', 'A', '--url', clone, '--config', project.config])
    assert.equal(applied.code, 0, applied.stderr)
    entry = await productionState(production)
  })

  /** Runs the hostile stage; it must fail with exit 1 and one line naming `expected`. */
  async function tries(body: string, expected: RegExp): Promise<void> {
    project.add('0002-Z-hostile.ts', stage(body))
    const result = await cli(['up', '--to', 'Z', '--url', clone, '--config', project.config])
    assert.equal(result.code, 1, `${body}\n${result.stderr}`)
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
    assert.match(result.stderr, /^migrate: migration Z \(up\) failed: .* — fix: /)
    assert.match(result.stderr, expected)
    assert.equal(await scalar(clone, `select count(*)::int as v from gov_migrate.migrations where id = 'Z'`), 0)
  }

  /** Tries every statement of a class in one hostile stage; each must be refused as `kinds` says, none may run. */
  async function triesEach(cases: ReadonlyArray<readonly [string, string]>): Promise<void> {
    project.add('0002-Z-hostile.ts', stage(eachOf(cases.map(([statement]) => statement))))
    const result = await cli(['up', '--to', 'Z', '--url', clone, '--config', project.config])
    assert.equal(result.code, 1, result.stderr)
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
    const outcomes = /failed: (.*) — fix: /.exec(result.stderr)?.[1]?.split(SEPARATOR.trim()).map((o) => o.trim()) ?? []
    assert.equal(outcomes.length, cases.length, result.stderr)
    cases.forEach(([statement, kind], i) => assert.ok(outcomes[i]?.startsWith(`refused: ${kind}`), `${statement}\n  → ${outcomes[i]}`))
    assert.equal(await scalar(clone, `select count(*)::int as v from gov_migrate.migrations where id = 'Z'`), 0)
  }

  const refused = (kind: string): RegExp => new RegExp(`refused: ${kind.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)

  it('transaction control: COMMIT, ROLLBACK, BEGIN, SAVEPOINT, PREPARE TRANSACTION, each refused and nothing committed', async () => {
    const cursor = `await db.insertInto('gov_worker_cursor').values({ worker_name: 'redteam', watermark: 'wm-1', last_event_id: 0, events_seen: 0 }).execute()`
    await tries(`${cursor}\n    ${raw('commit')}`, /failed: refused: COMMIT is transaction control, which only the tool sends — fix: remove it: the tool begins and commits each migration/)
    await triesEach([
      ['end', 'COMMIT is transaction control'],
      ['rollback', 'ROLLBACK is transaction control'],
      ['begin', 'BEGIN is transaction control'],
      ['savepoint s1', 'SAVEPOINT is transaction control'],
      ['release savepoint s1', 'RELEASE SAVEPOINT is transaction control'],
      ["prepare transaction 'redteam'", 'PREPARE TRANSACTION is transaction control'],
      ['select 1; commit', 'COMMIT is transaction control'],
    ] as const)
    await tries(`${cursor}\n    await db.executeQuery(CompiledQuery.raw('commit'))`, refused('COMMIT is transaction control'))
    // A COMMIT the body starts and does not await is still the body's.
    await tries(`${cursor}\n    void sql.raw('commit').execute(db).catch(() => undefined)\n    await new Promise((r) => setTimeout(r, 200))\n    throw new Error('after a floating commit')`, /after a floating commit/)
    // The opaque paths: PostgreSQL itself refuses to end a transaction block from DO or a procedure.
    await tries(`${cursor}\n    ${raw('do $$ begin commit; end $$')}`, /invalid transaction termination/)
    await tries(`${cursor}\n    ${raw('create procedure gov_redteam_p() language plpgsql as $$ begin commit; end $$')}\n    ${raw('call gov_redteam_p()')}`, /invalid transaction termination/)
    assert.equal(await scalar(clone, `select count(*)::int as v from gov_worker_cursor where worker_name = 'redteam'`), 0)
    assert.equal(await scalar(clone, `select count(*)::int as v from pg_prepared_xacts`), 0)
  })

  it('database, role and server administration', async () => {
    await triesEach([
      [`alter database ${productionDb} rename to ${EVIL}`, 'ALTER … RENAME of a database is administration'],
      [`alter database ${productionDb} set search_path = evil, public`, 'ALTER DATABASE … SET is database, role or server administration'],
      [`drop database ${productionDb}`, 'DROP DATABASE is'],
      [`create database ${EVIL}`, 'CREATE DATABASE is'],
      [`create role ${EVIL} superuser login`, 'CREATE ROLE is'],
      [`alter role current_user nosuperuser`, 'ALTER ROLE is'],
      [`grant pg_execute_server_program to current_user`, 'GRANT/REVOKE of a role is'],
      [`alter system set work_mem = '1MB'`, 'ALTER SYSTEM is'],
      [`load 'auto_explain'`, 'LOAD is'],
      [`set role ${EVIL}`, 'SET ROLE changes who the session is'],
      [`comment on database ${productionDb} is 'directus_gov_test_marker'`, 'COMMENT ON of a database is administration'],
    ] as const)
  })

  it('extensions, servers and functions that reach another database', async () => {
    await triesEach([
      ['create extension dblink', 'CREATE EXTENSION dblink opens connections'],
      ['create extension if not exists postgres_fdw', 'CREATE EXTENSION postgres_fdw opens connections'],
      [`create server gov_redteam_s foreign data wrapper postgres_fdw options (dbname '${productionDb}')`, 'CREATE SERVER opens connections'],
      ['create user mapping for current_user server gov_redteam_s', 'CREATE USER MAPPING opens connections'],
      [`select dblink_exec('dbname=${productionDb}', 'insert into os_proposal_approvals (proposal_code, approver, level) values (''APR-BOOT-AUTHMODEL-1'', ''x'', ''L4'')')`, 'dblink_exec() opens a connection'],
    ] as const)
  })

  it('COPY to or from a program or a server file', async () => {
    await triesEach([
      [`copy (select 1) to program 'psql -d ${productionDb} -c "select 1"'`, 'COPY … TO PROGRAM runs a program on the server'],
      [`copy gov_worker_cursor from program 'echo x'`, 'COPY … FROM PROGRAM runs a program'],
      [`copy gov_worker_cursor from '/etc/hostname'`, "COPY … FROM '/etc/hostname' reads or writes a server file"],
      [`copy (select 1) to '/tmp/gov_redteam'`, "COPY … TO '/tmp/gov_redteam' reads or writes a server file"],
      [`select pg_read_file('/etc/hostname')`, "pg_read_file() reads or writes the server's files"],
    ] as const)
  })

  it('terminating or cancelling other sessions, releasing the run lock', async () => {
    const other = new pg.Client({ connectionString: production })
    await other.connect()
    try {
      const pid = (await other.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid
      await triesEach([
        [`select pg_terminate_backend(${pid})`, 'pg_terminate_backend() acts on other sessions'],
        [`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${productionDb}'`, 'pg_terminate_backend() acts on other sessions'],
        [`select pg_cancel_backend(${pid})`, 'pg_cancel_backend() acts on other sessions'],
        ['select pg_advisory_unlock_all()', 'pg_advisory_unlock_all() can release the run lock'],
      ] as const)
      assert.equal((await other.query<{ one: number }>('select 1 as one')).rows[0]?.one, 1, 'the production session is alive')
    } finally {
      await other.end()
    }
  })

  it('a write to os_proposal_approvals, in every spelling', async () => {
    const values = `(proposal_code, approver, level) values ('APR-BOOT-AUTHMODEL-1', 'redteam', 'L4')`
    await triesEach([
      [`insert into os_proposal_approvals ${values}`, 'INSERT targets os_proposal_approvals'],
      [`insert /* a comment */ into -- another\n public . "os_proposal_approvals" ${values}`, 'INSERT targets os_proposal_approvals'],
      [`insert into U&"os_proposal_approval\\0073" ${values}`, 'INSERT targets os_proposal_approvals'],
      [`update os_proposal_approvals set level = 'L4'`, 'UPDATE targets os_proposal_approvals'],
      [`delete from public.os_proposal_approvals`, 'DELETE targets os_proposal_approvals'],
      [`merge into os_proposal_approvals a using (select 1) s on false when not matched then insert ${values}`, 'MERGE targets os_proposal_approvals'],
      [`truncate gov_worker_cursor, os_proposal_approvals`, 'TRUNCATE targets os_proposal_approvals'],
      [`with w as (insert into os_proposal_approvals ${values} returning 1) select * from w`, 'INSERT targets os_proposal_approvals'],
      [`prepare gov_redteam_p as insert into os_proposal_approvals ${values}`, 'INSERT targets os_proposal_approvals'],
      [`create view gov_redteam_v as select * from os_proposal_approvals`, 'CREATE VIEW over os_proposal_approvals would let writes reach it'],
      [`create rule gov_redteam_r as on insert to gov_worker_cursor do also insert into os_proposal_approvals ${values}`, 'CREATE RULE over os_proposal_approvals'],
      [`create trigger gov_redteam_t before delete on os_proposal_approvals for each row execute function suppress_redundant_updates_trigger()`, 'CREATE TRIGGER over os_proposal_approvals'],
      [`alter table os_proposal_approvals disable row level security`, 'ALTER TABLE targets os_proposal_approvals'],
      [`create table gov_redteam_child () inherits (os_proposal_approvals)`, 'CREATE TABLE targets os_proposal_approvals'],
      [`create function gov_redteam_f() returns void language sql as $$ insert into os_proposal_approvals ${values} $$`, 'a LANGUAGE sql function whose body does this: INSERT targets'],
    ] as const)
    await tries(`await db.insertInto('os_proposal_approvals').values({ proposal_code: 'APR-BOOT-AUTHMODEL-1', approver: 'redteam', level: 'L4' }).execute()`, refused('INSERT targets os_proposal_approvals'))
    await tries(`await db.executeQuery(CompiledQuery.raw(${JSON.stringify(`delete from os_proposal_approvals`)}))`, refused('DELETE targets os_proposal_approvals'))
    assert.equal(await scalar(clone, `select count(*)::int as v from os_proposal_approvals`), 0)
  })

  it('production is identical, measured by this test’s own catalog query and a content hash of every table', async () => {
    const exit = await productionState(production)
    assert.ok(Object.keys(exit).length > 20, 'every table of the stand-in is hashed')
    assert.deepEqual(exit, entry)
  })
})

describe('the own-transaction check after a migration body', () => {
  it('passes while the transaction is the one the tool opened, and fails once it was ended and another begun', async () => {
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: withDatabase(await serverUrl(), 'postgres'), max: 1 }) }) })
    try {
      await db.connection().execute(async (conn) => {
        await sql`begin`.execute(conn)
        const before = await readOwnTransaction(conn)
        await assertOwnTransaction(conn, before)
        await sql`commit`.execute(conn)
        await sql`begin`.execute(conn)
        await assert.rejects(assertOwnTransaction(conn, before), /the migration's body ended the tool's transaction \(transaction \d+@\d+ before the body, \d+@\d+ after\)/)
        await sql`rollback`.execute(conn)
      })
    } finally {
      await db.destroy()
    }
  })
})
