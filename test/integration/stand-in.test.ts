import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cli, dropLater, fingerprint, scalar, serverUrl, standIn, uniqueName } from '../helpers.ts'
import { ident, withDatabase } from '../../src/db/url.ts'
import { withClient } from '../../src/db/database.ts'

describe('production stand-in', () => {
  it('has exactly the DOMAIN.md baseline', async () => {
    const fp = await fingerprint(await standIn())
    const { db, schema_md5, health, ...numbers } = fp
    assert.deepEqual(health, { idle_in_txn: [], long_locks: [] })
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
    const plain = uniqueName('directus_plain')
    dropLater(plain)
    await withClient(server, (c) => c.query(`create database ${ident(plain)}`))
    const other = await cli(['fixture', '--url', withDatabase(server, plain)])
    assert.equal(other.code, 3)
    assert.match(other.stderr, /was not made by `migrate fixture`/)
    // The maintenance database is refused before anything connects.
    const maintenance = await cli(['fixture', '--url', withDatabase(server, 'postgres')])
    assert.equal(maintenance.code, 1)
    assert.match(maintenance.stderr, /names the maintenance database postgres/)
  })
})
