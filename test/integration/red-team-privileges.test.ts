/**
 * Red team, privileges and shadowing: a hostile clone-tier stage and hostile databases, tried
 * through the CLI as a user would. Every escape must fail, and production must be identical,
 * measured here independently of the tool's fingerprint: the test's own catalog query and a
 * content hash of every table.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pg from 'pg'
import { cli, dropLater, scalar, standIn, uniqueName } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { withClient } from '../../src/db/database.ts'
import { openDatabase } from '../../src/db/database.ts'
import { databaseOf, withDatabase } from '../../src/db/url.ts'
import { writerRoleName } from '../../src/db/clone-role.ts'
import { sql } from 'kysely'
import { writeFileSync } from 'node:fs'
import { assertDumpTools } from '../../src/clone/dump.ts'

/** Production as the catalog and the data say, read with a plain client (not the tool's code). */
async function productionState(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const name = databaseOf(url)
    const database = await client.query(
      `select d.datname, d.datdba::regrole::text, d.datallowconn, d.datconnlimit, d.datacl::text,
              (select array_agg(s.setconfig::text) from pg_db_role_setting s where s.setdatabase = d.oid) as settings
       from pg_database d where d.datname = $1`,
      [name],
    )
    const catalog = await client.query(
      `select n.nspname, c.relname, c.relkind, c.relowner::regrole::text as owner, c.relacl::text as acl
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_'
       union all
       select n.nspname, p.oid::regprocedure::text, 'f', p.proowner::regrole::text, md5(pg_get_functiondef(p.oid))
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname not in ('pg_catalog', 'information_schema') and p.prokind in ('f', 'p')
       union all
       select nspname, '', 'n', nspowner::regrole::text, nspacl::text from pg_namespace
       union all
       select extname, extversion, 'x', extowner::regrole::text, '' from pg_extension
       order by 1, 2, 3`,
    )
    const tables = await client.query<{ t: string }>(
      `select format('%I.%I', n.nspname, c.relname) as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_' order by 1`,
    )
    const hashes: string[] = []
    for (const { t } of tables.rows) {
      const { rows } = await client.query<{ h: string }>(`select coalesce(md5(string_agg(x::text, '|' order by x::text)), 'empty') as h from ${t} x`)
      hashes.push(`${t}=${rows[0]?.h}`)
    }
    return JSON.stringify({ database: database.rows, catalog: catalog.rows, hashes })
  } finally {
    await client.end()
  }
}

/** A marked clone made through the CLI as a user would. */
async function cliClone(production: string): Promise<string> {
  const name = uniqueName('directus_gov_test_rt')
  dropLater(name)
  const made = await cli(['clone', 'create', '--from', production, '--name', name, '--json'])
  assert.equal(made.code, 0, made.stderr)
  return withDatabase(production, name)
}

/** Each attempt: statements run in one sub-block; the first error's SQLSTATE is recorded, else 'accepted'. */
function hostileStage(attempts: Record<string, string[]>): string {
  const blocks = Object.entries(attempts).map(([name, statements]) => `
    begin
      ${statements.map((s) => `execute replace($s$${s}$s$, 'APPROVALS', 'public.os_proposal' || '_approvals');`).join('\n      ')}
      insert into redteam_attempts values ('${name}', 'accepted', null);
    exception when others then
      insert into redteam_attempts values ('${name}', sqlstate, sqlerrm);
    end;`)
  return `import { sql } from 'kysely'
export default {
  id: 'X',
  title: 'hostile clone-tier stage',
  tier: 'clone',
  expect: () => ({}),
  async up({ db }) {
    await sql\`create table redteam_attempts (attempt text primary key, sqlstate text, message text)\`.execute(db)
    await sql\`create table redteam_session as select current_user::text as current_usr, session_user::text as session_usr,
      (select rolsuper from pg_roles where rolname = current_user) as superuser\`.execute(db)
    await sql.raw(${JSON.stringify(`do $x$ begin ${blocks.join('')}
    end $x$`)}).execute(db)
  },
  async down({ db }) {
    await sql\`drop table redteam_attempts, redteam_session\`.execute(db)
  },
}
`
}

const INSERT_APPROVAL = `insert into APPROVALS (proposal_code, approver, level) values ('APR-BOOT-AUTHMODEL-1', 'red team', 'L4')`

describe('red team: the clone channel cannot reach production', () => {
  it('a hostile clone-tier stage runs logged in as the clone role, and every escape is refused by the database', async () => {
    const production = await standIn()
    const prodName = databaseOf(production)
    const clone = await cliClone(production)
    const role = writerRoleName(databaseOf(clone))
    // Another session on production, for the stage to try to terminate.
    const victim = new pg.Client({ connectionString: production })
    await victim.connect()
    const victimPid = (await victim.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid
    const before = await productionState(production)
    const approvalsBefore = await scalar<number>(clone, 'select count(*)::int as v from public.os_proposal_approvals')
    const extensions = await scalar<string[]>(production, `select coalesce(array_agg(name::text), '{}') as v from pg_available_extensions where name in ('dblink', 'postgres_fdw')`)

    const project = projectCopy({ upTo: '0001' })
    const attempts: Record<string, string[]> = {
      copy_to_program: [`copy (select 1) to program 'true'`],
      copy_to_file: [`copy (select 1) to '/tmp/redteam-${process.pid}'`],
      copy_from_file: [`copy redteam_attempts from '/etc/hostname'`],
      pg_read_file: [`select pg_read_file('/etc/hostname')`],
      lo_import: [`select lo_import('/etc/hostname')`],
      alter_database_rename: [`alter database ${prodName} rename to ${prodName}_renamed`],
      alter_database_set: [`alter database ${prodName} set search_path = evil, public`],
      alter_database_owner: [`alter database ${prodName} owner to current_user`],
      create_extension_dblink: [`create extension dblink`],
      create_extension_postgres_fdw: [`create extension postgres_fdw`],
      terminate_backend: [`select pg_terminate_backend(${victimPid})`],
      alter_role_superuser: [`alter role current_user superuser`],
      create_role: [`create role redteam_${process.pid} superuser`],
      set_role: [`set role postgres`],
      set_session_authorization: [`set session authorization postgres`],
      approvals_insert: [INSERT_APPROVAL],
      approvals_update: [`update APPROVALS set level = 'L4'`],
      approvals_delete: [`delete from APPROVALS`],
      approvals_truncate: [`truncate APPROVALS`],
      approvals_merge: [`merge into APPROVALS a using (select 1) s on false when not matched then insert (proposal_code, approver, level) values ('APR-BOOT-AUTHMODEL-1', 'red team', 'L4')`],
      approvals_grant_then_insert: [`grant insert on APPROVALS to public`, INSERT_APPROVAL],
      approvals_alter: [`alter table APPROVALS disable row level security`],
      approvals_drop: [`drop table APPROVALS`],
      approvals_schema_rename: [`alter schema public rename to public_old`],
      approvals_view: [`create view redteam_v as select proposal_code, approver, level from APPROVALS`, `insert into redteam_v values ('APR-BOOT-AUTHMODEL-1', 'red team', 'L4')`],
      approvals_trigger_on_it: [`create function redteam_tf() returns trigger language plpgsql as 'begin return new; end'`, `create trigger redteam_t before insert on APPROVALS for each row execute function redteam_tf()`],
      approvals_trigger_elsewhere: [
        `create table redteam_src (a int)`,
        `create function redteam_tf2() returns trigger language plpgsql as $f$ begin execute replace($i$${INSERT_APPROVAL}$i$, 'APPROVALS', 'public.os_proposal' || '_approvals'); return new; end $f$`,
        `create trigger redteam_t2 after insert on redteam_src for each row execute function redteam_tf2()`,
        `insert into redteam_src values (1)`,
      ],
      approvals_rule_on_it: [`create rule redteam_r as on update to APPROVALS do instead nothing`],
      approvals_rule_elsewhere: [`create table redteam_src2 (a int)`, `create rule redteam_r2 as on insert to redteam_src2 do also ${INSERT_APPROVAL}`, `insert into redteam_src2 values (1)`],
      approvals_security_definer: [`create function redteam_sd() returns void language sql security definer as $f$ ${INSERT_APPROVAL} $f$`, `select redteam_sd()`],
      marker_update: [`update gov_migrate.clone_marker set golden = false`],
      marker_drop: [`drop table gov_migrate.clone_marker`],
    }
    project.add('0002-X-hostile.ts', hostileStage(attempts))
    const result = await cli(['up', '--url', clone, '--config', project.config])
    assert.equal(result.code, 0, result.stderr)
    assert.equal((await victim.query<{ ok: number }>('select 1 as ok')).rows[0]?.ok, 1, 'the other session on production is alive')
    await victim.end()

    // The migration's session: logged in as the clone's role (session_user, not SET ROLE), no superuser.
    const session = await withClient(clone, async (c) => (await c.query<{ current_usr: string; session_usr: string; superuser: boolean }>('select * from redteam_session')).rows[0])
    assert.deepEqual(session, { current_usr: role, session_usr: role, superuser: false })
    const attributes = await withClient(clone, async (c) => (await c.query(
      `select rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin,
              (select count(*)::int from pg_auth_members m where m.member = r.oid) as memberships
       from pg_roles r where rolname = $1`, [role])).rows[0])
    assert.deepEqual(attributes, { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolcanlogin: true, memberships: 0 })

    const rows = await withClient(clone, async (c) => (await c.query<{ attempt: string; sqlstate: string; message: string | null }>('select * from redteam_attempts order by attempt')).rows)
    assert.deepEqual(rows.map((r) => r.attempt).sort(), Object.keys(attempts).sort())
    for (const row of rows) {
      const unavailable = row.attempt.startsWith('create_extension_') && !extensions.includes(row.attempt.replace('create_extension_', ''))
      if (unavailable) assert.notEqual(row.sqlstate, 'accepted', `${row.attempt}: ${row.message}`)
      else assert.equal(row.sqlstate, '42501', `${row.attempt} must be refused for lack of privilege: ${row.sqlstate} ${row.message}`)
    }
    assert.equal(await scalar<number>(clone, 'select count(*)::int as v from public.os_proposal_approvals'), approvalsBefore)
    assert.equal(await scalar<number>(clone, `select count(*)::int as v from pg_extension where extname in ('dblink', 'postgres_fdw')`), 0)
    assert.equal(await productionState(production), before)
  })

  it('the clone role owns the clone and its objects, except the approvals table, its schema and the marker', async () => {
    const production = await standIn()
    const clone = await cliClone(production)
    const role = writerRoleName(databaseOf(clone))
    const notOwned = await withClient(clone, async (c) => (await c.query<{ name: string }>(
      `select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_' and c.relkind in ('r', 'p', 'v', 'm', 'S')
         and c.relowner <> $1::regrole
       union all
       select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname not in ('pg_catalog', 'information_schema') and p.proowner <> $1::regrole
       union all
       select 'schema ' || nspname from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema' and nspowner <> $1::regrole
       order by 1`, [role])).rows.map((r) => r.name))
    assert.deepEqual(notOwned, [
      'gov_migrate.clone_catalog', 'gov_migrate.clone_marker', 'gov_migrate.migrations', 'gov_migrate.rehearsals', 'gov_migrate.rehearse_runs', 'gov_migrate.rehearse_runs_id_seq',
      'public.os_proposal_approvals', 'public.os_proposal_approvals_id_seq', 'schema gov_migrate', 'schema public',
    ])
    assert.equal(await scalar(clone, `select datdba::regrole::text as v from pg_database where datname = current_database()`), role)
    const rights = await scalar<string>(clone, `select string_agg(p, ',' order by p) as v from unnest(array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p
      where has_table_privilege($1, 'public.os_proposal_approvals', p)`, [role])
    assert.equal(rights, 'SELECT')
    assert.equal(await scalar(clone, `select has_table_privilege('public', 'public.os_proposal_approvals', 'SELECT') as v`), false)

    // clone drop drops the role with the clone (roles are cluster-wide).
    const dropped = await cli(['clone', 'drop', '--url', clone, '--yes'])
    assert.equal(dropped.code, 0, dropped.stderr)
    assert.equal(await scalar<number>(production, 'select count(*)::int as v from pg_roles where rolname = $1', [role]), 0)
  })

  it('a server that will not let the clone role log in is a one-line refusal, never a fall-back to the admin session', async () => {
    const production = await standIn()
    const clone = await cliClone(production)
    const role = writerRoleName(databaseOf(clone))
    await withClient(clone, (c) => c.query(`alter role "${role}" nologin`))
    const result = await cli(['up', '--to', 'A', '--url', clone])
    assert.equal(result.code, 3, result.stderr)
    assert.equal(result.stderr.trim().split('\n').length, 1)
    assert.match(result.stderr, new RegExp(`migrate: refused: the server does not let the clone role "${role}" log in .* — fix: allow password logins for it in pg_hba\\.conf`))
    assert.equal(await scalar<number>(clone, 'select count(*)::int as v from gov_migrate.migrations'), 0)
    assert.equal(await scalar<number>(clone, 'select count(*)::int as v from governance_object_ownership'), await scalar<number>(production, 'select count(*)::int as v from governance_object_ownership'))
  })
})

describe('red team: nothing can be shadowed', () => {
  it('a shadowing current_database() and approvals table first on the search path change nothing the tool decides', async () => {
    const production = await standIn()
    const prodName = databaseOf(production)
    const fakeClone = uniqueName('directus_gov_test_fake')
    await withClient(production, async (c) => {
      await c.query('create schema evil')
      await c.query(`create function evil.current_database() returns name language sql as $$ select '${fakeClone}'::name $$`)
      await c.query('create table evil.os_proposal_approvals (like public.os_proposal_approvals)')
      await c.query(`insert into evil.os_proposal_approvals (id, proposal_code, approver, level, approved_at) values (1, 'APR-BOOT-AUTHMODEL-1', 'forger', 'L4', now())`)
      await c.query('create schema gov_migrate')
      await c.query(`create table gov_migrate.clone_marker as select '${fakeClone}'::text as clone_name, 'directus'::text as source_db, now() as created_at, false as golden, 'postgres'::text as writer_role`)
      await c.query(`alter database ${prodName} set search_path = evil, pg_catalog, public`)
    })
    // The shadow works for any session that trusts the search path:
    const plain = new pg.Client({ connectionString: production })
    await plain.connect()
    const shadowed = (await plain.query<{ db: string; ospa: number }>(`select current_database() as db, (select count(*)::int from os_proposal_approvals) as ospa`)).rows[0]
    await plain.end()
    assert.deepEqual(shadowed, { db: fakeClone, ospa: 1 })
    const before = await productionState(production)

    const clonesStage = await cli(['up', '--to', 'A', '--url', production])
    assert.equal(clonesStage.code, 3, clonesStage.stderr)
    assert.match(clonesStage.stderr, new RegExp(`database "${prodName}" is not a clone`))
    const tier = await cli(['up', '--to', 'T1', '--url', production])
    assert.equal(tier.code, 3, tier.stderr)
    assert.match(tier.stderr, /ospa = 0/)
    const drop = await cli(['clone', 'drop', '--yes', '--url', production])
    assert.equal(drop.code, 3, drop.stderr)
    const fp = await cli(['fingerprint', '--json', '--url', production])
    assert.equal(fp.code, 0, fp.stderr)
    assert.deepEqual([JSON.parse(fp.stdout).db, JSON.parse(fp.stdout).ospa], [prodName, 0])
    // A URL that tries the same through session options is refused before it connects.
    for (const options of ['options=-c%20search_path%3Devil,public', `database=${prodName}`]) {
      const viaUrl = await cli(['up', '--to', 'A', '--url', `${withDatabase(production, fakeClone)}?${options}`])
      assert.equal(viaUrl.code, 3, viaUrl.stderr)
      assert.match(viaUrl.stderr, /^migrate: refused: the URL .* carries .* in its query string/)
    }
    assert.equal(await productionState(production), before)
  })

  it('the read-only channel keeps READ ONLY and its timeout whatever the URL, the database or the environment say', async () => {
    const production = await standIn()
    const prodName = databaseOf(production)
    await withClient(production, (c) => c.query(`alter database ${prodName} set statement_timeout = 0; alter database ${prodName} set default_transaction_read_only = off`))
    const { db, close } = openDatabase(production, { policy: 'any', readOnly: true, max: 1 })
    try {
      const { rows } = await sql<{ timeout: string; ro: string; path: string }>`select pg_catalog.current_setting('statement_timeout') as timeout,
        pg_catalog.current_setting('transaction_read_only') as ro, pg_catalog.current_setting('search_path') as path`.execute(db)
      assert.deepEqual(rows[0], { timeout: '5s', ro: 'on', path: 'public, pg_temp' })
      await assert.rejects(sql`select pg_catalog.pg_sleep(6)`.execute(db), /statement timeout/)
    } finally {
      await close()
    }
    const viaUrl = await cli(['fingerprint', '--url', `${production}?options=-c%20statement_timeout%3D0`])
    assert.equal(viaUrl.code, 3, viaUrl.stderr)
    const viaEnv = await cli(['fingerprint', '--url', production], { env: { PGOPTIONS: '-c statement_timeout=0' } })
    assert.equal(viaEnv.code, 3, viaEnv.stderr)
    assert.match(viaEnv.stderr, /^migrate: refused: PGOPTIONS is set in the environment/)
  })
})

describe('two channels: a read-only production role and an admin role that is not a superuser', () => {
  it('clone create reads production only through the read-only role; the admin makes the clone and its role; drop removes both', async (t) => {
    const production = await standIn()
    const canDump = await assertDumpTools(await scalar<number>(production, `select current_setting('server_version_num')::int / 10000 as v`)).then(() => true, () => false)
    if (!canDump) {
      t.skip('no pg_dump for this server: a non-superuser admin may not template-copy production, so it needs the dump')
      return
    }
    const suffix = `${process.pid}_${Date.now() % 100000}`
    const reader = `gm_reader_${suffix}`
    const admin = `gm_admin_${suffix}`
    const name = uniqueName('directus_gov_test_ch')
    const role = writerRoleName(name)
    const as = (user: string, url: string) => { const u = new URL(url); u.username = user; return u.toString() }
    await withClient(production, async (c) => {
      await c.query(`create role ${reader} login`)
      await c.query(`grant pg_read_all_data to ${reader}`)
      await c.query(`create role ${admin} login createdb createrole`)
    })
    try {
      const readOnly = as(reader, production)
      const before = await productionState(production)
      const fp = await cli(['fingerprint', '--json', '--url', readOnly])
      assert.equal(fp.code, 0, fp.stderr)
      const made = await cli(['clone', 'create', '--from', readOnly, '--url', as(admin, withDatabase(production, 'postgres')), '--name', name, '--json'])
      assert.equal(made.code, 0, made.stderr)
      assert.equal(JSON.parse(made.stdout).role, role)
      const clone = as(admin, withDatabase(production, name))
      const project = projectCopy({ upTo: '0001' })
      writeFileSync(project.config, `export default { migrationsDir: 'migrations', productionUrl: ${JSON.stringify(readOnly)} }\n`)
      for (const args of [['up', '--to', 'A'], ['verify'], ['status'], ['down', '--to', '0']]) {
        const run = await cli([...args, '--url', clone, '--config', project.config])
        assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`)
      }
      assert.equal(await scalar(clone, `select datdba::regrole::text as v from pg_database where datname = current_database()`), role)
      const dropped = await cli(['clone', 'drop', '--yes', '--url', clone])
      assert.equal(dropped.code, 0, dropped.stderr)
      assert.equal(await scalar<number>(production, 'select count(*)::int as v from pg_roles where rolname = $1', [role]), 0)
      assert.equal(await productionState(production), before)
    } finally {
      await withClient(withDatabase(production, 'postgres'), async (c) => {
        await c.query(`drop database if exists ${name} with (force)`)
        await c.query(`drop database if exists ${name}__partial with (force)`)
        await c.query(`drop role if exists ${role}`).catch(() => undefined)
        await c.query(`drop role if exists ${reader}`)
        await c.query(`drop role if exists ${admin}`)
      })
    }
  })

  it('a golden snapshot is dropped like its clone, and the role goes with the last database that holds it', async () => {
    const production = await standIn()
    const clone = await cliClone(production)
    const role = writerRoleName(databaseOf(clone))
    dropLater(`${databaseOf(clone)}_golden`)
    assert.equal((await cli(['clone', 'snapshot', '--url', clone])).code, 0)
    assert.equal((await cli(['clone', 'drop', '--yes', '--url', clone])).code, 0)
    assert.equal(await scalar<number>(production, 'select count(*)::int as v from pg_roles where rolname = $1', [role]), 1, 'the golden snapshot still holds the role')
    const golden = await cli(['clone', 'drop', '--yes', '--url', `${clone}_golden`])
    assert.equal(golden.code, 0, golden.stderr)
    assert.equal(await scalar<number>(production, 'select count(*)::int as v from pg_roles where rolname = $1', [role]), 0)
  })
})
