import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cli, fingerprint, markedClone, scalar, standIn } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { withClient } from '../../src/db/database.ts'

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
    assert.equal(await scalar<number>(clone, `select count(*)::int as v from gov_migrate.migrations`), 0)
  })

  it('a killed run leaves a whole number of migrations, and the next run finishes', async () => {
    const project = projectCopy({ upTo: '0001' })
    project.add('0002-S-slow.ts', slow)
    const clone = await markedClone(await standIn())
    const { spawn } = await import('node:child_process')
    const { ROOT } = await import('../helpers.ts')
    const child = spawn(process.execPath, [`${ROOT}/bin/migrate.js`, 'up', '--to', 'S', '--url', clone, '--config', project.config], { stdio: 'ignore' })
    // Killed once S is running (A committed before it): on a busy machine that can take a while.
    for (let i = 0; i < 600; i++) {
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
