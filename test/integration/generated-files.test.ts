import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { ROOT, serverUrl } from '../helpers.ts'

const run = promisify(execFile)
const tsx = resolve(ROOT, 'node_modules/.bin/tsx')

describe('generated files are current', () => {
  it('src/db/schema/ (the types of every stage) equals kysely-codegen output from a clone migrated stage by stage', async () => {
    const { stdout } = await run(tsx, ['scripts/codegen.ts', '--check'], {
      cwd: ROOT,
      env: { ...process.env, TEST_SERVER_URL: await serverUrl() },
    })
    assert.match(stdout, /up to date/)
  })

  it('the README CLI reference equals the tool’s --help', async () => {
    const { stdout } = await run(tsx, ['scripts/readme.ts', '--check'], { cwd: ROOT })
    assert.match(stdout, /up to date/)
  })

  it('the README gives the two commands that .ci/run proves', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8')
    const ci = readFileSync(resolve(ROOT, '.ci/run'), 'utf8')
    assert.match(readme, /npm install && npx migrate demo/)
    assert.match(readme, /^npm test\b/m)
    assert.match(ci, /npx migrate demo/)
    assert.match(ci, /npm test/)
  })
})
