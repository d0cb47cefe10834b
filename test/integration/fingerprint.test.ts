import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cli, markedClone, standIn } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { withClient } from '../../src/db/database.ts'

describe('fingerprint comparison', () => {
  it('names the keys that differ from a saved fingerprint and exits 1; organic counts are not compared', async () => {
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
    await withClient(clone, (c) => c.query(`insert into dot_tools values ('dot-new', 'organic')`))
    assert.equal((await cli(['fingerprint', '--url', clone, '--compare', file])).code, 0, 'organic counts are reported, not compared')
    assert.equal((await cli(['up', '--to', 'A', '--url', clone])).code, 0)
    const differs = await cli(['fingerprint', '--url', clone, '--compare', file])
    assert.equal(differs.code, 1)
    assert.match(differs.stdout, /differs from .* in: own, gap/)
  })
})
