import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CompiledQuery, sql } from 'kysely'
import { cli, dropLater, fingerprint, markedClone, scalar, serverUrl, standIn, uniqueName } from './helpers.ts'
import { projectCopy } from './migrations-kit.ts'
import { withClient, openDatabase } from '../src/db/database.ts'
import { ident, withDatabase } from '../src/db/url.ts'
import { RefusedError } from '../src/errors.ts'
import { diffFingerprints } from '../src/fingerprint/fingerprint.ts'

describe('production stand-in', () => {
  it('has exactly the DOMAIN.md baseline', async () => {
    const fp = await fingerprint(await standIn())
    const { db, schema_md5, ...numbers } = fp
    assert.match(db, /^directus_t/)
    assert.match(schema_md5, /^[0-9a-f]{32}$/)
    assert.deepEqual(numbers, {
      own: 0, gap: 210, ospa: 0, gov_emit: 0, gov_active: 0, axis_tables: 0,
      ruleset: 0, scan_run: 0, cand_state: 0, cand_object: 0, cursor: 0, idle_in_txn: 0,
      approval_requests: 211, apr_approvals: 42, apr_action_types: 14, dot_tools: 309, system_issues: 203537,
    })
  })

  it('scales governance numbers with --scale', async () => {
    const url = withDatabase(await serverUrl(), uniqueName('directus_t'))
    dropLater(new URL(url).pathname.slice(1))
    const made = await cli(['fixture', '--url', url, '--scale', '3'])
    assert.equal(made.code, 0, made.stderr)
    const fp = await fingerprint(url)
    assert.equal(fp.gap, 630)
    assert.equal(await scalar<number>(url, 'select count(*)::int as v from governance_group'), 15)
  })

  it('refuses a clone name and a database it did not make', async () => {
    const server = await serverUrl()
    const asClone = await cli(['fixture', '--url', withDatabase(server, 'directus_gov_test_x')])
    assert.equal(asClone.code, 3)
    assert.match(asClone.stderr, /clone prefix/)
    const other = await cli(['fixture', '--url', withDatabase(server, 'postgres')])
    assert.equal(other.code, 3)
    assert.match(other.stderr, /was not made by `migrate fixture`/)
  })
})

describe('stage A on a marked clone', () => {
  it('up adds the 30 anchors, down removes exactly them, and the clone returns to its creation fingerprint', async () => {
    const production = await standIn()
    const clone = await markedClone(production)
    const atCreation = await fingerprint(clone)

    const upped = await cli(['up', '--to', 'A', '--url', clone, '--json'])
    assert.equal(upped.code, 0, upped.stderr)
    assert.deepEqual(JSON.parse(upped.stdout).steps[0].measured, { own: 30, gap: -210 })
    let fp = await fingerprint(clone)
    assert.equal(fp.own, 30)
    assert.equal(fp.gap, 0)
    assert.equal(await scalar<number>(clone, `select count(*)::int as v from governance_object_ownership where created_by = 'CLONE_TEST_F6_SEED'`), 30)

    const again = await cli(['up', '--to', 'A', '--url', clone])
    assert.equal(again.code, 0)
    assert.match(again.stdout, /nothing to apply/)

    const downed = await cli(['down', '--url', clone])
    assert.equal(downed.code, 0, downed.stderr)
    fp = await fingerprint(clone)
    assert.equal(fp.own, 0)
    assert.equal(fp.gap, 210)
    assert.deepEqual(diffFingerprints(atCreation, fp), [])
  })

  it('status reads without writing and shows the declared deltas', async () => {
    const clone = await markedClone(await standIn())
    const result = await cli(['status', '--url', clone, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const status = JSON.parse(result.stdout)
    assert.deepEqual(status.migrations[0].expect, { own: 30, gap: -210 })
    assert.equal(status.migrations[0].applied, false)
    // A read never creates the log table.
    assert.equal(await scalar<boolean>(clone, `select to_regclass('gov_migrate.migrations') is null as v`), true)
  })

  it('an unknown --to is one clear line listing the known ids', async () => {
    const clone = await markedClone(await standIn())
    const result = await cli(['up', '--to', 'Q', '--url', clone])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^migrate: unknown stage "Q" — fix: use one of: A/)
    assert.equal(result.stderr.trim().split('\n').length, 1)
  })
})

describe('the guard', () => {
  async function refusedWithoutChange(url: string, pattern: RegExp): Promise<void> {
    const before = await fingerprint(url)
    const result = await cli(['up', '--to', 'A', '--url', url])
    assert.equal(result.code, 3, result.stderr)
    assert.match(result.stderr, pattern)
    assert.deepEqual(diffFingerprints(before, await fingerprint(url)), [])
    assert.equal(await scalar<boolean>(url, `select to_regclass('gov_migrate.migrations') is null as v`), true)
  }

  it('refuses the production stand-in', async () => {
    await refusedWithoutChange(await standIn(), /is not a clone: its name does not start with "directus_gov_test_"/)
  })

  it('refuses a database with the prefix but no marker', async () => {
    const production = await standIn()
    const name = uniqueName('directus_gov_test_unmarked_')
    dropLater(name)
    await withClient(withDatabase(production, 'postgres'), (c) => c.query(`create database ${ident(name)} template ${ident(new URL(production).pathname.slice(1))}`))
    await refusedWithoutChange(withDatabase(production, name), /has the clone prefix but no clone marker/)
  })

  it('refuses a name that only looks like the prefix, even with a marker', async () => {
    const production = await standIn()
    // LIKE 'directus_gov_test_%' matches this name: "_" is a wildcard in LIKE.
    const name = uniqueName('directus1gov2test3')
    dropLater(name)
    const url = withDatabase(production, name)
    await withClient(withDatabase(production, 'postgres'), (c) => c.query(`create database ${ident(name)} template ${ident(new URL(production).pathname.slice(1))}`))
    await withClient(url, async (c) => {
      await c.query('create schema gov_migrate; create table gov_migrate.clone_marker (clone_name text, source_db text, created_at timestamptz default now(), golden boolean not null default false)')
      await c.query('insert into gov_migrate.clone_marker (clone_name, source_db) values ($1, $2)', [name, 'directus'])
    })
    assert.equal(await scalar<boolean>(url, `select current_database() like 'directus_gov_test_%' as v`), true)
    await refusedWithoutChange(url, /does not start with "directus_gov_test_"/)
  })

  it('holds for raw SQL and executeQuery(CompiledQuery), and does not leak refused clients', async () => {
    const production = await standIn()
    const { db, close } = openDatabase(production, { policy: 'clone', max: 1 })
    try {
      for (let i = 0; i < 5; i++) {
        await assert.rejects(sql`select 1`.execute(db), RefusedError)
        await assert.rejects(db.executeQuery(CompiledQuery.raw('select 1')), RefusedError)
      }
    } finally {
      await close()
    }
    const sessions = await scalar<number>(production, `select count(*)::int as v from pg_stat_activity where datname = current_database() and application_name = 'gov-migrate'`)
    assert.equal(sessions, 0)
  })

  it('refuses writes to os_proposal_approvals on every query path', async () => {
    const clone = await markedClone(await standIn())
    const { db, close } = openDatabase(clone, { policy: 'clone', max: 1 })
    try {
      await assert.rejects(
        db.insertInto('os_proposal_approvals').values({ proposal_code: 'APR-BOOT-AUTHMODEL-1', approver: 'x', level: 'L2' }).execute(),
        RefusedError,
      )
      await assert.rejects(sql`delete from os_proposal_approvals`.execute(db), RefusedError)
      await assert.rejects(db.executeQuery(CompiledQuery.raw(`insert into os_proposal_approvals (proposal_code, approver, level) values ('x', 'y', 'L2')`)), RefusedError)
    } finally {
      await close()
    }
    assert.equal((await fingerprint(clone)).ospa, 0)
  })
})

describe('runs that go wrong lose nothing', () => {
  const slow = `import { sql } from 'kysely'
import { defineMigration } from '../src/migrator/migration.ts'
export default defineMigration({
  id: 'S', title: 'slow cursor', tier: 'clone',
  expect: () => ({ cursor: 1 }),
  async up({ db }) {
    await db.insertInto('gov_worker_cursor').values({ worker_name: 'slow', watermark: 'wm-1', last_event_id: 0, events_seen: 0 }).execute()
    await sql\`select pg_sleep(1.5)\`.execute(db)
  },
  async down({ db }) { await db.deleteFrom('gov_worker_cursor').where('worker_name', '=', 'slow').execute() },
})
`

  it('two concurrent ups apply each migration once', async () => {
    const project = projectCopy({ upTo: '0001' })
    project.add('0002-S-slow.ts', slow)
    const clone = await markedClone(await standIn())
    const [a, b] = await Promise.all([
      cli(['up', '--to', 'S', '--url', clone, '--config', project.config, '--json']),
      cli(['up', '--to', 'S', '--url', clone, '--config', project.config, '--json']),
    ])
    assert.equal(a.code, 0, a.stderr)
    assert.equal(b.code, 0, b.stderr)
    const applied = [...JSON.parse(a.stdout).steps, ...JSON.parse(b.stdout).steps].map((s: { id: string }) => s.id).sort()
    assert.deepEqual(applied, ['A', 'S'])
    assert.equal(await scalar<number>(clone, 'select count(*)::int as v from gov_migrate.migrations'), 2)
    assert.equal((await fingerprint(clone)).own, 30)
  })

  it('a migration that throws midway leaves neither its changes nor its log entry', async () => {
    const project = projectCopy({ upTo: '0001' })
    project.add('0002-X-throws.ts', `import { defineMigration } from '../src/migrator/migration.ts'
export default defineMigration({
  id: 'X', title: 'throws after writing', tier: 'clone',
  expect: () => ({ cursor: 1 }),
  async up({ db }) {
    await db.insertInto('gov_worker_cursor').values({ worker_name: 'x', watermark: 'wm-1', last_event_id: 0, events_seen: 0 }).execute()
    throw new Error('boom halfway')
  },
  async down() {},
})
`)
    const clone = await markedClone(await standIn())
    const result = await cli(['up', '--to', 'X', '--url', clone, '--config', project.config])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /migration X \(up\) failed: boom halfway/)
    assert.equal((await fingerprint(clone)).cursor, 0)
    assert.deepEqual(
      (await withClient(clone, (c) => c.query<{ id: string }>('select id from gov_migrate.migrations order by id'))).rows.map((r) => r.id),
      ['A'],
    )
  })

  it('a migration whose measured deltas differ from its declaration is not committed', async () => {
    const project = projectCopy({ upTo: '0001' })
    project.add('0002-W-wrong.ts', `import { defineMigration } from '../src/migrator/migration.ts'
export default defineMigration({
  id: 'W', title: 'declares one cursor, writes two', tier: 'clone',
  expect: () => ({ cursor: 1 }),
  async up({ db }) {
    await db.insertInto('gov_worker_cursor').values([
      { worker_name: 'w1', watermark: 'wm-1', last_event_id: 0, events_seen: 0 },
      { worker_name: 'w2', watermark: 'wm-1', last_event_id: 0, events_seen: 0 },
    ]).execute()
  },
  async down() {},
})
`)
    const clone = await markedClone(await standIn())
    const result = await cli(['up', '--to', 'W', '--url', clone, '--config', project.config])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /cursor expected 1, measured 2/)
    assert.equal((await fingerprint(clone)).cursor, 0)
  })

  it('a half-written migration stops everything with its file name', async () => {
    const project = projectCopy({ upTo: '0001' })
    project.add('0002-H-half.ts', `export default { id: 'H', title: 'half', tier: 'clone', async up() {} }\n`)
    const clone = await markedClone(await standIn())
    const result = await cli(['up', '--url', clone, '--config', project.config])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /migration 0002-H-half\.ts is incomplete: expect must be a function; down must be a function/)
    assert.equal(await scalar<boolean>(clone, `select to_regclass('gov_migrate.migrations') is null as v`), true)
  })

  it('a killed run leaves a whole number of migrations, and the next run finishes', async () => {
    const project = projectCopy({ upTo: '0001' })
    project.add('0002-S-slow.ts', slow)
    const clone = await markedClone(await standIn())
    const { spawn } = await import('node:child_process')
    const { ROOT } = await import('./helpers.ts')
    const child = spawn(process.execPath, [`${ROOT}/bin/migrate.js`, 'up', '--to', 'S', '--url', clone, '--config', project.config], { stdio: 'ignore' })
    for (let i = 0; i < 100; i++) {
      const sleeping = await scalar<number>(clone, `select count(*)::int as v from pg_stat_activity where datname = current_database() and query like '%pg_sleep%' and pid <> pg_backend_pid()`)
      if (sleeping > 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    child.kill('SIGKILL')
    const log = async () => (await withClient(clone, (c) => c.query<{ id: string }>('select id from gov_migrate.migrations order by id'))).rows.map((r) => r.id)
    assert.deepEqual(await log(), ['A'])
    assert.equal((await fingerprint(clone)).cursor, 0)
    const rerun = await cli(['up', '--to', 'S', '--url', clone, '--config', project.config])
    assert.equal(rerun.code, 0, rerun.stderr)
    assert.deepEqual(await log(), ['A', 'S'])
  })
})

describe('fingerprint comparison', () => {
  it('names the keys that differ from a saved fingerprint and exits 1; organic counts are not compared', async () => {
    const clone = await markedClone(await standIn())
    const saved = await cli(['fingerprint', '--url', clone, '--json'])
    assert.equal(saved.code, 0, saved.stderr)
    const project = projectCopy()
    const { writeFileSync } = await import('node:fs')
    const file = `${project.dir}/entry.json`
    writeFileSync(file, saved.stdout)
    const same = await cli(['fingerprint', '--url', clone, '--compare', file])
    assert.equal(same.code, 0, same.stderr)
    assert.match(same.stdout, /identical to/)
    await withClient(clone, (c) => c.query(`insert into dot_tools values ('dot-new', 'organic')`))
    assert.equal((await cli(['fingerprint', '--url', clone, '--compare', file])).code, 0, 'organic counts are reported, not compared')
    assert.equal((await cli(['up', '--to', 'A', '--url', clone])).code, 0)
    const differs = await cli(['fingerprint', '--url', clone, '--compare', file])
    assert.equal(differs.code, 1)
    assert.match(differs.stdout, /differs from .* in: own, gap/)
  })
})

describe('configuration', () => {
  it('a wrong key or value is reported with its path and nothing runs', async () => {
    const project = projectCopy({ upTo: '0001' })
    const { writeFileSync } = await import('node:fs')
    writeFileSync(project.config, `export default { migrationsDir: 'migrations', lockTimeout: 5, embedded: { port: 5432 } }\n`)
    const result = await cli(['status', '--config', project.config])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /embedded\.port: must not be 5432/)
    assert.match(result.stderr, /lockTimeout/)
    assert.equal(result.stderr.trim().split('\n').length, 1)
  })
})

describe('a full clone run', () => {
  it('leaves the production fingerprint identical (demo, twice)', async () => {
    const production = await standIn()
    const name = uniqueName('directus_gov_test_demo')
    dropLater(name)
    const before = await fingerprint(production)
    for (let run = 0; run < 2; run++) {
      const result = await cli(['demo', '--url', production, '--name', name, '--json'])
      assert.equal(result.code, 0, result.stderr)
      const demo = JSON.parse(result.stdout)
      assert.deepEqual(demo.differ, [])
      assert.equal(demo.clone.fingerprint.own, 30)
      assert.equal(demo.clone.fingerprint.gap, 0)
      assert.equal(demo.clone.created, run === 0)
    }
    assert.deepEqual(diffFingerprints(before, await fingerprint(production)), [])
    assert.equal(await scalar<number>(withDatabase(production, name), 'select count(*)::int as v from governance_object_ownership'), 30)
  })
})
