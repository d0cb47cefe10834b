import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pg from 'pg'
import { cli, fingerprint, markedClone, repoConfig, standIn } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { withClient } from '../../src/db/database.ts'
import { fingerprintOf } from '../../src/fingerprint/read.ts'
import { fingerprintSettings } from '../../src/config/load-config.ts'
import { compareFingerprints } from '../../src/fingerprint/fingerprint.ts'

describe('fingerprint comparison', () => {
  it('names the governance keys that differ from a saved fingerprint and exits 1; organic counts are reported old → new', async () => {
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
    await withClient(clone, (c) => c.query(`delete from system_issues where id in (select id from system_issues order by id limit 3)`))
    const organic = await cli(['fingerprint', '--url', clone, '--compare', file])
    assert.equal(organic.code, 0, 'organic counts are reported, not compared')
    assert.match(organic.stdout, /organic: system_issues 203537 → 203534 \(fell/)
    await withClient(clone, (c) => c.query(`delete from dot_tools`))
    const app = await cli(['fingerprint', '--url', clone, '--compare', file])
    assert.equal(app.code, 1, 'dot_tools holds a baseline the pipeline must leave alone: compared')
    assert.match(app.stdout, /differs from .* in: dot_tools/)
    assert.equal((await cli(['up', '--to', 'A', '--url', clone])).code, 0)
    const differs = await cli(['fingerprint', '--url', clone, '--compare', file])
    assert.equal(differs.code, 1)
    assert.match(differs.stdout, /differs from .* in: own, gap, dot_tools/)
  })

  it('an app table named v_… changes no schema hash; an idle-in-transaction session is a health warning with its age, never a difference', async () => {
    // Production, read with the URL's own role (a clone's role would not see another role's sessions).
    const clone = await standIn()
    const before = await fingerprint(clone)
    await withClient(clone, (c) => c.query('create table v_something (id int)'))
    const other = new pg.Client({ connectionString: clone })
    await other.connect()
    try {
      await other.query('begin')
      await other.query('select 1 from system_issues limit 1')
      const fast = await fingerprint(clone)
      assert.equal(fast.idle_in_txn, 0, 'a session idle in transaction for less than the threshold is not counted')
      assert.deepEqual(compareFingerprints(before, fast).governance, [])
      const config = await repoConfig()
      await new Promise((done) => setTimeout(done, 100))
      const held = await fingerprintOf(clone, { ...fingerprintSettings(config), healthThresholdMs: 50 })
      assert.equal(held.idle_in_txn, 1)
      assert.deepEqual(compareFingerprints(before, held).governance, [])
      assert.match(compareFingerprints(before, held).health.join('\n'), /session \d+ .*idle in transaction for \d+\.\d s, \d+ relation lock/)
    } finally {
      await other.end()
    }
  })
})
