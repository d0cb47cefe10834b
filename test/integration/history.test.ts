import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, it } from 'node:test'
import { cli, fingerprint, markedClone, scalar, standIn } from '../helpers.ts'
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
      assert.match(result.stderr, /A \(0001-A-ownership-seed\) was edited after it was applied: migrations\/0001-A-ownership-seed\.ts changed/)
    }
    assert.equal((await fingerprint(clone)).own, 30)
  })

  it('the log records the sha256 of the SQL each migration ran: the same on two clones of one production', async () => {
    const production = await standIn()
    const hashes: string[] = []
    for (const clone of [await markedClone(production), await markedClone(production)]) {
      assert.equal((await cli(['up', '--to', 'C', '--url', clone])).code, 0)
      hashes.push(await scalar<string>(clone, `select string_agg(id || ' ' || sql_sha256, ',' order by name) as v from gov_migrate.migrations`))
    }
    assert.match(hashes[0] ?? '', /^A [0-9a-f]{64},B [0-9a-f]{64},C [0-9a-f]{64}$/)
    assert.equal(hashes[0], hashes[1])
  })

  it('an edit in a pipeline module behind an applied stage is caught by stage and file; one behind no applied stage is not', async () => {
    const project = projectCopy({ upTo: '0002', withSources: true })
    const clone = await markedClone(await standIn())
    assert.equal((await cli(['up', '--to', 'A', '--url', clone, '--config', project.config])).code, 0)
    const edit = (path: string) => writeFileSync(resolve(project.dir, path), `${readFileSync(resolve(project.dir, path), 'utf8')}\n// edited after apply\n`)

    edit('src/pipeline/finalization.ts') // imported by LT and T5, not by A or B
    const clean = await cli(['status', '--json', '--url', clone, '--config', project.config])
    assert.equal(clean.code, 0, clean.stderr)
    assert.deepEqual(JSON.parse(clean.stdout).problems, [])

    edit('src/pipeline/ownership.ts') // behind A
    for (const args of [['status'], ['up'], ['down'], ['verify']]) {
      const result = await cli([...args, '--url', clone, '--config', project.config])
      assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`)
      assert.match(`${result.stdout}${result.stderr}`, /A \(0001-A-ownership-seed\) was edited after it was applied: src\/pipeline\/ownership\.ts changed/, args[0])
    }
    assert.equal((await fingerprint(clone)).own, 30)
  })
})
