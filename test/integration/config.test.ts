import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cli } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'

describe('configuration', () => {
  it('a wrong key or value is reported with its path and nothing runs', async () => {
    const project = projectCopy({ upTo: '0001' })
    const { writeFileSync } = await import('node:fs')
    writeFileSync(project.config, `export default { migrationsDir: 'migrations', lockTimeout: 5, embedded: { port: 5432 } }\n`)
    const result = await cli(['status', '--config', project.config])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /embedded\.port: must not be 5432/)
    assert.match(result.stderr, /lockTimeout/)
    assert.equal(result.stderr.trim().split('\n').length, 1)
  })
})
