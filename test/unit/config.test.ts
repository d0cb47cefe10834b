import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseConfig } from '../../src/config/load-config.ts'

describe('config', () => {
  it('fills defaults', () => {
    const config = parseConfig({}, '/x')
    assert.equal(config.ratificationProposal, 'APR-BOOT-AUTHMODEL-1')
    assert.equal(config.embedded.port, 54329)
  })
  it('reports every problem with its path and rejects unknown keys', () => {
    assert.throws(
      () => parseConfig({ migrationDir: 'x', embedded: { port: 5432 } }, '/x'),
      (error: Error) =>
        /embedded\.port: must not be 5432/.test(error.message) && /\(root\): Unrecognized key: "migrationDir"/i.test(error.message),
    )
  })
})
