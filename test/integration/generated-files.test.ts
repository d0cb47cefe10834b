import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { dropLater, ROOT, serverUrl, uniqueName } from '../helpers.ts'
import { withClient } from '../../src/db/database.ts'
import { ident, withDatabase } from '../../src/db/url.ts'
import { introspect } from '../../scripts/codegen.ts'

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

  // codegen drops its clone WITH (FORCE) right after the last introspection: a session of it still
  // closing then got the server's FATAL (57P01) on a pool without an error listener, and the
  // unhandled 'error' ended codegen (the flaky CI failure of the test above, under load).
  it('an introspection has ended its sessions on the server when it returns', async () => {
    const name = uniqueName('gov_codegen_introspect_')
    dropLater(name)
    const server = await serverUrl()
    await withClient(server, (c) => c.query(`create database ${ident(name)}`))
    const url = withDatabase(server, name)
    await withClient(url, (c) => c.query('create table t (id int primary key, label text)'))
    await withClient(server, async (admin) => {
      for (let round = 1; round <= 10; round++) {
        assert.match(await introspect(url), /label: string \| null/)
        const { rows } = await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = $1 and backend_type = 'client backend'`, [name])
        assert.equal(rows[0]?.n, 0, `round ${round}: a session of the introspection is still on ${name}`)
      }
    })
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
