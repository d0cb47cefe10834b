/**
 * `npm test`: typecheck, lint, the unit tests (pure, no database), then the
 * integration tests against a real PostgreSQL: the server at DATABASE_URL when it
 * is set, else the embedded PostgreSQL 16. Every integration test makes its own
 * throwaway databases on that server.
 *
 * `npm run test:unit` runs only the unit tests (seconds, no database);
 * `npm test -- test/integration/guard.test.ts` runs the files named (no typecheck, no lint).
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

function step(title: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  console.log(`\n▶ ${title}`)
  const result = spawnSync(command, args, { stdio: 'inherit', env })
  if (result.status !== 0) {
    console.error(`✖ ${title} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status ?? 1)
  }
}

const bin = (name: string) => resolve('node_modules/.bin', name)
const testFiles = (dir: string) => readdirSync(join('test', dir)).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join('test', dir, f))
const nodeTest = (files: string[], env?: NodeJS.ProcessEnv) =>
  step(`node --test (${files.length} files)`, process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], env)

const args = process.argv.slice(2)
const unitOnly = args.includes('--unit')
const only = args.filter((a) => !a.startsWith('--'))

if (unitOnly) {
  nodeTest(testFiles('unit'))
  process.exit(0)
}

if (only.length === 0) {
  step('typecheck', bin('tsc'), ['-p', '.'])
  step('lint', bin('eslint'), ['.'])
  // The suite runs the CLI as users do: compiled (bin/migrate.js runs the source only when dist/ is stale).
  step('build', process.execPath, ['--import', 'tsx', 'scripts/build.ts'])
  console.log('\n▶ unit tests (no database)')
  nodeTest(testFiles('unit'))
}

const files = only.length > 0 ? only : testFiles('integration')
const needsServer = files.some((f) => !f.includes(`test/unit/`))
let env: NodeJS.ProcessEnv = process.env
if (needsServer) {
  // Imported only here: the unit tests need no server and no configuration.
  const { loadConfig } = await import('../src/config/load-config.ts')
  const { ensureEmbedded } = await import('../src/server/embedded.ts')
  const { redact, withDatabase } = await import('../src/db/url.ts')
  const config = await loadConfig()
  const server = process.env.DATABASE_URL
    ? withDatabase(process.env.DATABASE_URL, 'postgres')
    : await ensureEmbedded({ dataDir: resolve(config.root, config.embedded.dataDir), port: config.embedded.port, onProgress: console.log })
  console.log(`\n▶ integration tests against ${redact(server)}`)
  env = { ...process.env, TEST_SERVER_URL: server }
}
nodeTest(files, env)
