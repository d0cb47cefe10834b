import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { dropLater, serverUrl, uniqueName } from '../helpers.ts'
import { withClient } from '../../src/db/database.ts'
import { ident, withDatabase } from '../../src/db/url.ts'
import { assertWriterPassword, writerRoleName } from '../../src/db/clone-role.ts'

describe('concurrent runs on one clone', () => {
  it('each sets the clone role its own password at the same moment, none fails on the catalog row the others update', async () => {
    const admin = withDatabase(await serverUrl(), 'postgres')
    const name = uniqueName('directus_gov_test_pw')
    dropLater(name) // the role goes with it (the helpers drop a clone's role after its database)
    const role = writerRoleName(name)
    await withClient(admin, (c) => c.query(`create role ${ident(role)} login`))
    // As many runs as a busy CI gives: each its own admin session, all at once.
    const results = await Promise.allSettled(Array.from({ length: 24 }, () => withClient(admin, (c) => assertWriterPassword(c, role))))
    assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), [])
  })
})
