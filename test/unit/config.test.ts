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

describe('config lookup', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { findConfig, loadConfig } = await import('../../src/config/load-config.ts')

  it('finds the nearest kysely.config.ts from any subfolder up', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-lookup-'))
    try {
      mkdirSync(join(dir, 'a', 'b'), { recursive: true })
      writeFileSync(join(dir, 'kysely.config.ts'), 'export default {}\n')
      assert.equal(findConfig(join(dir, 'a', 'b')), join(dir, 'kysely.config.ts'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a --config file that does not exist is an error, not the defaults', async () => {
    await assert.rejects(loadConfig('/nonexistent/kysely.config.ts'), /the configuration file \/nonexistent\/kysely.config.ts does not exist/)
  })
})
