import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pg from 'pg'
import { dropLater, PROPOSAL, scalar, standIn, uniqueName } from '../helpers.ts'
import { createClone } from '../../src/clone/clone.ts'
import { withDatabase } from '../../src/db/url.ts'
import { withClient } from '../../src/db/database.ts'

describe('concurrent clone runs', () => {
  it('the sweep leaves alone a partial another run is still making, and takes it once that run is gone', async () => {
    const production = await standIn()
    const admin = withDatabase(production, 'postgres')
    const busy = uniqueName('directus_gov_test_busy')
    dropLater(`${busy}__partial`)
    await withClient(admin, (c) => c.query(`create database ${busy}__partial`))
    // Another run making it: it holds the partial's lock, with no session on the partial yet.
    const run = new pg.Client({ connectionString: admin })
    await run.connect()
    const exists = () => scalar<number>(admin, `select count(*)::int as v from pg_database where datname = $1`, [`${busy}__partial`])
    try {
      assert.equal((await run.query<{ ok: boolean }>(`select pg_try_advisory_lock(hashtext('gov-migrate:partial'), hashtext($1)) as ok`, [`${busy}__partial`])).rows[0]?.ok, true)
      const first = uniqueName('directus_gov_test_c1')
      dropLater(first)
      await createClone({ from: production, name: first, proposal: PROPOSAL, strategy: 'template' })
      assert.equal(await exists(), 1)
      await assert.rejects(createClone({ from: production, name: busy, proposal: PROPOSAL, strategy: 'template' }), /another clone create is making/)
    } finally {
      await run.end()
    }
    const second = uniqueName('directus_gov_test_c2')
    dropLater(second)
    await createClone({ from: production, name: second, proposal: PROPOSAL, strategy: 'template' })
    assert.equal(await exists(), 0)
  })
})
