/**
 * `npm test`: typecheck, lint, build and the unit tests (pure, no database) side by side, then the
 * integration tests against a real PostgreSQL: the server at DATABASE_URL when it
 * is set, else the embedded PostgreSQL 16. Every integration test makes its own
 * throwaway databases on that server, copying one production stand-in built for the run
 * (scripts/stand-in-template.ts); the files run side by side (TEST_CONCURRENCY, default: the
 * cores + 1), but for the few that must run alone (ALONE below).
 *
 * `npm run test:unit` runs only the unit tests (seconds, no database);
 * `npm test -- test/integration/guard.test.ts` runs the files named (no typecheck, no lint).
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join, resolve } from 'node:path'

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const result = spawnSync(command, args, { stdio: 'inherit', env })
  return result.status ?? 1
}

function step(title: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  console.log(`\n▶ ${title}`)
  const status = run(command, args, env)
  if (status !== 0) {
    console.error(`✖ ${title} failed (exit ${status})`)
    process.exit(status)
  }
}

const bin = (name: string) => resolve('node_modules/.bin', name)
const testFiles = (dir: string) => readdirSync(join('test', dir)).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join('test', dir, f))
const nodeTestArgs = (files: string[], concurrency = 1) => ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files]

/**
 * Test files run side by side (each makes its own databases, named by its pid), this many at a time:
 * a test spends much of its time waiting for the server, which works meanwhile. TEST_CONCURRENCY=1
 * runs them one by one.
 */
const CONCURRENCY = Math.max(1, Number(process.env.TEST_CONCURRENCY ?? availableParallelism() + 1) || 1)

/**
 * Files that run alone, after the others: they leave a half-made clone (`…__partial`) without the
 * lock of a run making it, as a killed process does, and test what the next `clone create` does with
 * it; a `clone create` of a file running beside them would sweep it first.
 */
const ALONE = new Set(['test/integration/clones.test.ts', 'test/integration/clone-partials.test.ts'])

interface FileRun {
  file: string
  ms: number
  status: number
}

interface Job {
  title: string
  command: string
  args: string[]
}

/** Runs a job with its output captured, and prints that output whole when it ends, never interleaved with another's. */
function runCaptured(job: Job, env: NodeJS.ProcessEnv): Promise<{ status: number; ms: number }> {
  const started = performance.now()
  return new Promise((done) => {
    const child = spawn(job.command, job.args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const output: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk))
    child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)))
    child.on('close', (code) => {
      const run = { status: code ?? 1, ms: performance.now() - started }
      console.log(`\n▶ ${job.title}: ${run.status === 0 ? 'passed' : 'FAILED'} in ${seconds(run.ms)}`)
      process.stdout.write(Buffer.concat(output))
      done(run)
    })
  })
}

/** Runs the jobs side by side; stops the whole run when one fails. */
async function allOrExit(jobs: readonly Job[]): Promise<void> {
  const runs = await Promise.all(jobs.map((job) => runCaptured(job, process.env)))
  const failed = jobs.filter((_, i) => runs[i]?.status !== 0)
  if (failed.length > 0) {
    console.error(`✖ ${failed.map((job) => job.title).join(', ')} failed`)
    process.exit(1)
  }
}

/** Runs one test file in its own `node --test`. */
async function runFile(file: string, env: NodeJS.ProcessEnv): Promise<FileRun> {
  return { file, ...(await runCaptured({ title: file, command: process.execPath, args: nodeTestArgs([file]) }, env)) }
}

/** Runs `files` in order, `concurrency` at a time. */
async function pool(files: readonly string[], concurrency: number, env: NodeJS.ProcessEnv): Promise<FileRun[]> {
  const queue = [...files]
  const runs: FileRun[] = []
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) runs.push(await runFile(file, env))
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker))
  return runs
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** Each file's wall time in the last run that ran it (a cache: none on a fresh checkout). */
const DURATIONS = join('node_modules', '.cache', 'gov-migrate', 'test-durations.json')

/**
 * The order for a checkout that has run no test yet (CI's): each file's wall time in one whole run,
 * committed (to refresh it, copy the cache file over it after a whole `npm test`). It only orders.
 */
const SEED = join('test', 'durations.json')

function readJson(file: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>
  } catch {
    return {}
  }
}

function readDurations(): Record<string, number> {
  return { ...readJson(SEED), ...readJson(DURATIONS) }
}

/**
 * Keeps each file's time for the next run's order: the new one, or three quarters of the one
 * kept, whichever is longer. A file whose time varies with the server (clone-template waits for
 * an autovacuum worker: 20 s on one, 160 s on another) stays early in the order for a few runs
 * after one fast run, instead of starting last and running on alone.
 */
function writeDurations(known: Record<string, number>, runs: readonly FileRun[]): void {
  const next = { ...known, ...Object.fromEntries(runs.map((r) => [r.file, Math.round(Math.max(r.ms, 0.75 * (known[r.file] ?? 0)))])) }
  mkdirSync(dirname(DURATIONS), { recursive: true })
  writeFileSync(DURATIONS, `${JSON.stringify(next, null, 1)}\n`)
}

/**
 * The longest first, so that no long file starts last and runs on alone: by the last run's times
 * (else the committed ones); a file never timed comes first, the larger before the smaller.
 */
function slowestFirst(files: readonly string[], known: Record<string, number>): string[] {
  const size = (f: string) => (existsSync(f) ? statSync(f).size : 0)
  const estimate = (f: string) => known[f] ?? Number.MAX_SAFE_INTEGER - 1e9 + size(f)
  return [...files].sort((a, b) => estimate(b) - estimate(a))
}

function summary(runs: readonly FileRun[], wall: number): void {
  console.log(`\n▶ integration test files by wall time (${runs.length} files in ${seconds(wall)}; ${seconds(runs.reduce((t, r) => t + r.ms, 0))} summed)`)
  for (const r of [...runs].sort((a, b) => b.ms - a.ms)) console.log(`  ${seconds(r.ms).padStart(8)}  ${r.status === 0 ? ' ' : '✖'} ${r.file}`)
  const failed = runs.filter((r) => r.status !== 0)
  if (failed.length > 0) console.error(`✖ integration tests failed: ${failed.map((r) => r.file).join(', ')}`)
}

/** dist/ is missing or older than a file of src/ (the test that bin/migrate.js makes before it falls back to tsx). */
function distStale(): boolean {
  const built = join('dist', 'cli', 'main.js')
  if (!existsSync(built)) return true
  const builtAt = statSync(built).mtimeMs
  return readdirSync('src', { withFileTypes: true, recursive: true }).some((e) => e.isFile() && statSync(join(e.parentPath, e.name)).mtimeMs > builtAt)
}

const args = process.argv.slice(2)
const begun = performance.now()
const unitOnly = args.includes('--unit')
const only = args.filter((a) => !a.startsWith('--'))

if (unitOnly) {
  step(`node --test (${testFiles('unit').length} files)`, process.execPath, nodeTestArgs(testFiles('unit'), CONCURRENCY))
  process.exit(0)
}

// The suite runs the CLI as users do: compiled. Built when stale, named files included: a stale
// dist/ would make every CLI call of the tests fall back to the TypeScript source (seconds each).
const build = { title: 'build', command: process.execPath, args: ['--import', 'tsx', 'scripts/build.ts'] }
if (only.length === 0) {
  // Independent of each other (tsc and eslint never read dist/): side by side.
  await allOrExit([
    { title: 'typecheck', command: bin('tsc'), args: ['-p', '.'] },
    { title: 'lint', command: bin('eslint'), args: ['.'] },
    build,
    { title: `unit tests (no database, ${testFiles('unit').length} files)`, command: process.execPath, args: nodeTestArgs(testFiles('unit'), CONCURRENCY) },
  ])
} else if (distStale()) await allOrExit([build])

const files = only.length > 0 ? only : testFiles('integration')
const needsServer = files.some((f) => !f.includes(`test/unit/`))
if (!needsServer) {
  step(`node --test (${files.length} files)`, process.execPath, nodeTestArgs(files, CONCURRENCY))
  process.exit(0)
}

// Imported only here: the unit tests need no server and no configuration.
const { loadConfig } = await import('../src/config/load-config.ts')
const { ensureEmbedded } = await import('../src/server/embedded.ts')
const { redact, withDatabase } = await import('../src/db/url.ts')
const { buildStandInTemplate, dropStandInTemplate, TEMPLATE_ENV } = await import('./stand-in-template.ts')
const config = await loadConfig()
const server = process.env.DATABASE_URL
  ? withDatabase(process.env.DATABASE_URL, 'postgres')
  : await ensureEmbedded({ dataDir: resolve(config.root, config.embedded.dataDir), port: config.embedded.port, onProgress: console.log })

// The production stand-in every test copies (test/helpers.ts standIn), built once for the run.
const template = `directus_template_run${process.pid}`
console.log(`\n▶ the production stand-in ${template} (scale 1), copied by every test`)
await buildStandInTemplate(server, template, 1)
// Ctrl-C stops the tests (they get the signal too); this process stays to drop the template.
process.on('SIGINT', () => undefined)
const env = { ...process.env, TEST_SERVER_URL: server, [TEMPLATE_ENV]: template }
const together = files.filter((f) => !ALONE.has(f.replaceAll('\\', '/').replace(/^\.\//, '')))
const alone = files.filter((f) => !together.includes(f))
const known = readDurations()
const started = performance.now()
console.log(`\n▶ integration tests against ${redact(server)}: ${together.length} files, ${Math.min(CONCURRENCY, together.length)} at a time, the slowest first`)
const runs = await pool(slowestFirst(together, known), CONCURRENCY, env)
if (alone.length > 0) {
  console.log(`\n▶ integration tests that run alone (half-made clones): ${alone.join(', ')}`)
  runs.push(...(await pool(alone, 1, env)))
}
const wall = performance.now() - started
await dropStandInTemplate(server, template)
writeDurations(known, runs)
summary(runs, wall)
console.log(`\n▶ npm test: ${seconds(performance.now() - begun)} in all`)
process.exit(runs.some((r) => r.status !== 0) ? 1 : 0)
