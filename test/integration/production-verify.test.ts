import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cli, dropLater, markedClone, standIn } from '../helpers.ts'
import { databaseOf } from '../../src/db/url.ts'
import { openDatabase, withClient } from '../../src/db/database.ts'
import { diffCatalog, readCatalog, type CatalogSnapshot } from '../../src/clone/catalog.ts'

async function approve(url: string): Promise<void> {
  await withClient(url, (c) => c.query(`insert into os_proposal_approvals (proposal_code, approver, level) values ('APR-BOOT-AUTHMODEL-1', 'president', 'L4')`))
}

/** Every object, sequence value and table content of the database: measured apart from the tool's verify. */
async function catalogOf(url: string): Promise<CatalogSnapshot> {
  const { db, close } = openDatabase(url, { policy: 'any', readOnly: true, max: 1 })
  try {
    return await db.transaction().setIsolationLevel('repeatable read').execute((trx) => readCatalog(trx))
  } finally {
    await close()
  }
}

describe('production verified', () => {
  it('after T1–T5, verify --url <production> passes read-only with the preflight, skips the fail-closed tries, and writes nothing', async () => {
    const production = await standIn()
    await approve(production)
    for (const tier of ['T1', 'T2', 'T3', 'T4', 'T5']) assert.equal((await cli(['up', '--to', tier, '--url', production])).code, 0, tier)
    const before = await catalogOf(production)
    const result = await cli(['verify', '--url', production])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /\(production, read-only channel\): applied T1 T2 T3 T4 T5/)
    assert.match(result.stdout, /✓ preflight: db name\s+required production, not a clone\s+actual directus_t/)
    assert.match(result.stdout, /✓ preflight: ospa\s+required ≥ 1 \(tiers ran\)\s+actual 1/)
    assert.match(result.stdout, /✓ preflight: own\s+required 30\s+actual 30/)
    assert.match(result.stdout, /✓ preflight: idle_in_txn\s+required 0\s+actual 0/)
    assert.deepEqual(diffCatalog(before, await catalogOf(production)), [], 'verify wrote nothing')

    await withClient(production, (c) => c.query(`delete from governance_candidate_object where ctid = (select min(ctid) from governance_candidate_object)`))
    const drifted = await cli(['verify', '--url', production])
    assert.equal(drifted.code, 1)
    assert.match(drifted.stdout, /✗ preflight: cand_object\s+required 35\s+actual 34/)
  })

  it('production stays clonable: after T1 there, a fresh clone carries its log, shows T1 applied and rehearses T2', async () => {
    const production = await standIn()
    await approve(production)
    assert.equal((await cli(['up', '--to', 'T1', '--url', production])).code, 0)
    const clone = await markedClone(production)
    const status = await cli(['status', '--json', '--url', clone])
    assert.equal(status.code, 0, status.stderr)
    const rows = JSON.parse(status.stdout).migrations as { id: string; applied: boolean }[]
    assert.deepEqual(rows.filter((m) => m.applied).map((m) => m.id), ['T1'])
    const rehearsed = await cli(['up', '--to', 'T2', '--rehearse', '--url', clone])
    assert.equal(rehearsed.code, 0, rehearsed.stderr)
    assert.match(rehearsed.stdout, /would apply\s+T2/)
    const verified = await cli(['verify', '--url', clone])
    assert.equal(verified.code, 0, verified.stdout)
    assert.match(verified.stdout, /✓ clone equals its creation catalog/)
    dropLater(`${databaseOf(clone)}_golden`)
    assert.equal((await cli(['clone', 'snapshot', '--url', clone])).code, 0, 'the carried log is part of its fresh state')
  })
})
