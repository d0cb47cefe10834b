import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cli, dropLater, fingerprint, scalar, standIn, uniqueName } from '../helpers.ts'
import { withDatabase } from '../../src/db/url.ts'
import { diffFingerprints } from '../../src/fingerprint/fingerprint.ts'

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
