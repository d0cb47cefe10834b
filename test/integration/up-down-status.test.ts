import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cli, fingerprint, markedClone, scalar, standIn } from '../helpers.ts'
import { diffFingerprints } from '../../src/fingerprint/fingerprint.ts'

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
    // A read never writes the log (clone create made it, empty).
    assert.equal(await scalar<number>(clone, `select count(*)::int as v from gov_migrate.migrations`), 0)
  })

  it('an unknown --to is one clear line listing the known ids', async () => {
    const clone = await markedClone(await standIn())
    const result = await cli(['up', '--to', 'Q', '--url', clone])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^migrate: unknown stage "Q" — fix: use one of: A/)
    assert.equal(result.stderr.trim().split('\n').length, 1)
  })
})
