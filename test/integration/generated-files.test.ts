import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { ROOT, serverUrl } from '../helpers.ts'

const run = promisify(execFile)
const tsx = resolve(ROOT, 'node_modules/.bin/tsx')

/**
 * Runs a script of scripts/ with tsx; when it fails, the rejection names its exit code, signal,
 * stderr and stdout whole, so that a failure on a CI machine says why without a rerun.
 */
async function script(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    return (await run(tsx, args, { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 })).stdout
  } catch (error) {
    const e = error as { code?: unknown; signal?: unknown; stdout?: unknown; stderr?: unknown }
    throw new Error(
      `tsx ${args.join(' ')} failed (exit ${String(e.code)}${e.signal ? `, signal ${String(e.signal)}` : ''})\n--- stderr ---\n${String(e.stderr ?? '')}\n--- stdout ---\n${String(e.stdout ?? '')}`,
    )
  }
}

describe('generated files are current', () => {
  it('src/db/schema/ (the types of every stage) equals kysely-codegen output from a clone migrated stage by stage', async () => {
    const stdout = await script(['scripts/codegen.ts', '--check'], { ...process.env, TEST_SERVER_URL: await serverUrl() })
    assert.match(stdout, /up to date/)
  })

  it('the README CLI reference equals the tool’s --help', async () => {
    assert.match(await script(['scripts/readme.ts', '--check']), /up to date/)
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
