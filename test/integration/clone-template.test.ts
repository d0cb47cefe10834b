import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pg from 'pg'
import { dropLater, PROPOSAL, scalar, standIn, uniqueName } from '../helpers.ts'
import { createClone } from '../../src/clone/clone.ts'
import { databaseOf, withDatabase } from '../../src/db/url.ts'
import { withClient } from '../../src/db/database.ts'

/** Polls until an autovacuum worker is on `database`, for at most `ms`; false if none came. */
async function autovacuumOn(url: string, ms: number): Promise<boolean> {
  const admin = withDatabase(url, 'postgres')
  for (const until = Date.now() + ms; Date.now() < until; ) {
    const n = await scalar<number>(admin, `select count(*)::int as v from pg_stat_activity where datname = $1 and backend_type = 'autovacuum worker'`, [databaseOf(url)])
    if (n > 0) return true
    await new Promise((done) => setTimeout(done, 500))
  }
  return false
}

describe('template clones and the sessions PostgreSQL ignores', () => {
  it('an autovacuum worker on the source is not a session: auto still takes the template copy', async (t) => {
    const production = await standIn()
    // A table autovacuum must visit and, throttled to a crawl, stays on for minutes.
    await withClient(production, (c) =>
      c.query(`create table bench_slow_vacuum (id int, pad text) with (autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1);
               insert into bench_slow_vacuum select g, repeat('x', 100) from generate_series(1, 50000) g`),
    )
    if (!(await autovacuumOn(production, 150_000))) return t.skip('no autovacuum worker came to the source within 150 s (autovacuum off on this server?)')
    const name = uniqueName('directus_gov_test_av')
    dropLater(name)
    const lines: string[] = []
    const info = await createClone({ from: production, name, proposal: PROPOSAL, strategy: 'auto', onProgress: (l) => lines.push(l) })
    assert.equal(info.strategy, 'template', lines.join('\n'))
    assert.equal(info.fallback, undefined)
  })

  it('a source held by a non-client backend PostgreSQL does count (a walsender) is refused by its error, and auto says why it falls back', async () => {
    const production = await standIn()
    const walsender = new pg.Client({ connectionString: `${production}?replication=database` })
    await walsender.connect()
    try {
      assert.equal(await scalar(withDatabase(production, 'postgres'), `select count(*)::int as v from pg_stat_activity where datname = $1 and backend_type = 'walsender'`, [databaseOf(production)]), 1)
      const name = uniqueName('directus_gov_test_ws')
      dropLater(name)
      await assert.rejects(createClone({ from: production, name, proposal: PROPOSAL, strategy: 'template' }), /is being accessed by other users \(55006\)/)
      const lines: string[] = []
      const made = createClone({ from: production, name, proposal: PROPOSAL, strategy: 'auto', onProgress: (l) => lines.push(l) })
      try {
        const info = await made
        assert.equal(info.strategy, 'dump')
        assert.match(info.fallback ?? '', /55006/)
      } catch (error) {
        // No pg_dump that reaches this server: it still chose dump, and said why.
        assert.match(String(error), /pg_dump/)
      }
      assert.ok(lines.some((l) => /template copy not possible: .*55006.*falling back to pg_dump \| psql/.test(l)), lines.join('\n'))
    } finally {
      await walsender.end()
    }
  })
})
