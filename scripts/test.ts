/**
 * `npm test`: typecheck, lint, then the suite against a real PostgreSQL:
 * the server at DATABASE_URL when it is set, else the embedded PostgreSQL 16.
 * Every test makes its own throwaway databases on that server.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadConfig } from '../src/config/load-config.ts'
import { ensureEmbedded } from '../src/server/embedded.ts'
import { redact, withDatabase } from '../src/db/url.ts'

function step(title: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  console.log(`\n▶ ${title}`)
  const result = spawnSync(command, args, { stdio: 'inherit', env })
  if (result.status !== 0) {
    console.error(`✖ ${title} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status ?? 1)
  }
}

const bin = (name: string) => resolve('node_modules/.bin', name)
const only = process.argv.slice(2)

if (only.length === 0) {
  step('typecheck', bin('tsc'), ['-p', '.'])
  step('lint', bin('eslint'), ['.'])
}

const config = await loadConfig()
const server = process.env.DATABASE_URL
  ? withDatabase(process.env.DATABASE_URL, 'postgres')
  : await ensureEmbedded({ dataDir: resolve(config.root, config.embedded.dataDir), port: config.embedded.port, onProgress: console.log })
console.log(`\n▶ suite against ${redact(server)}`)

const files = only.length > 0 ? only : readdirSync('test').filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/${f}`)
step('node --test', process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  ...process.env,
  TEST_SERVER_URL: server,
})
