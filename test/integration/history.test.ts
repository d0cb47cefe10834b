import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, it } from 'node:test'
import { cli, fingerprint, markedClone, standIn } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'

describe('applied migrations are checksummed', () => {
  it('an edited applied file makes status, up and down say so by name and refuse', async () => {
    const project = projectCopy({ upTo: '0002' })
    const clone = await markedClone(await standIn())
    assert.equal((await cli(['up', '--to', 'A', '--url', clone, '--config', project.config])).code, 0)
    const file = resolve(project.dir, 'migrations/0001-A-ownership-seed.ts')
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n// edited after apply\n`)
    for (const args of [['status'], ['up'], ['down']]) {
      const result = await cli([...args, '--url', clone, '--config', project.config])
      assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`)
      assert.match(result.stderr, /0001-A-ownership-seed was edited after it was applied/)
    }
    assert.equal((await fingerprint(clone)).own, 30)
  })
})
