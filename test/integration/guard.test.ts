import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CompiledQuery, sql } from 'kysely'
import { cli, dropLater, fingerprint, markedClone, scalar, standIn, uniqueName } from '../helpers.ts'
import { withClient, openDatabase } from '../../src/db/database.ts'
import { ident, withDatabase } from '../../src/db/url.ts'
import { RefusedError } from '../../src/errors.ts'
import { diffFingerprints } from '../../src/fingerprint/fingerprint.ts'

describe('the guard', () => {
  async function refusedWithoutChange(url: string, pattern: RegExp): Promise<void> {
    const before = await fingerprint(url)
    const result = await cli(['up', '--to', 'A', '--url', url])
    assert.equal(result.code, 3, result.stderr)
    assert.match(result.stderr, pattern)
    assert.deepEqual(diffFingerprints(before, await fingerprint(url)), [])
    assert.equal(await scalar<boolean>(url, `select to_regclass('gov_migrate.migrations') is null as v`), true)
  }

  it('refuses a clone as the source of a clone before reading it (its role keeps its password)', async () => {
    const clone = await markedClone(await standIn())
    const role = `select rolpassword as v from pg_authid where rolname = (select writer_role from gov_migrate.clone_marker)`
    const before = await scalar<string | null>(clone, role)
    const name = uniqueName('directus_gov_test_of_clone')
    dropLater(name)
    const result = await cli(['clone', 'create', '--from', clone, '--name', name])
    assert.equal(result.code, 3, result.stderr)
    assert.match(result.stderr, /is itself a clone/)
    assert.equal(await scalar<string | null>(clone, role), before)
  })

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
