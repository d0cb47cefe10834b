/**
 * The start-up section of `npm run bench` (also alone: `npm run bench:startup -- [--url <server>] [--runs 15] [--json]`).
 *
 * Each CLI command is timed against its raw baseline in the same run, interleaved run by
 * run so a busy machine slows both alike: `migrate --help` against `node -e "require('pg')"`,
 * `migrate status` and `migrate fingerprint` against a bare node + pg connect-and-select.
 * Medians of wall time; peak memory (max RSS) of the child, from /usr/bin/time.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Figure } from './bench/measure.ts'

const ROOT = resolve(import.meta.dirname, '..')
const BIN = join(ROOT, 'bin', 'migrate.js')
const TIME = '/usr/bin/time'

export interface StartupRow {
  what: string
  baseline: string
  medianMs: number
  baselineMs: number
  ratio: number
  target: number
  ok: boolean
  peakRssMb: number | null
  baselinePeakRssMb: number | null
}

interface Sample {
  ms: number
  rssKb: number | null
}

function once(args: string[], cwd: string): Sample {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-startup-'))
  const rssFile = join(scratch, 'rss')
  const timed = existsSync(TIME)
  const started = performance.now()
  const result = timed
    ? spawnSync(TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DATABASE_URL: '' } })
    : spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DATABASE_URL: '' } })
  const ms = performance.now() - started
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr.toString().trim()}`)
  const rssKb = timed ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) : null
  rmSync(scratch, { recursive: true, force: true })
  return { ms, rssKb }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

/** Times `candidate` and `baseline` alternately `runs` times each (after one warm-up each). */
function compare(what: string, candidate: string[], baselineName: string, baseline: string[], target: number, runs: number): StartupRow {
  once(candidate, ROOT)
  once(baseline, ROOT)
  const a: Sample[] = []
  const b: Sample[] = []
  for (let i = 0; i < runs; i++) {
    a.push(once(candidate, ROOT))
    b.push(once(baseline, ROOT))
  }
  const medianMs = median(a.map((s) => s.ms))
  const baselineMs = median(b.map((s) => s.ms))
  const peak = (xs: Sample[]) => (xs[0]?.rssKb === null ? null : Math.round(Math.max(...xs.map((s) => s.rssKb ?? 0)) / 1024))
  const ratio = Number((medianMs / baselineMs).toFixed(2))
  return { what, baseline: baselineName, medianMs: Math.round(medianMs), baselineMs: Math.round(baselineMs), ratio, target, ok: ratio <= target, peakRssMb: peak(a), baselinePeakRssMb: peak(b) }
}

/**
 * The start-up figures on `production` (a stand-in) and `clone` (a marked clone of it).
 * The CLI must be built (`npm run build`): the figures are those of the compiled CLI.
 */
export function startupFigures(production: string, clone: string, runs = 15): StartupRow[] {
  const bare = `const pg = require('pg'); const c = new pg.Client(${JSON.stringify(production)}); c.connect().then(() => c.query('select 1')).then(() => c.end())`
  return [
    compare('migrate --help', [BIN, '--help'], `node -e "require('pg')"`, ['-e', "require('pg')"], 1.5, runs),
    compare('migrate status', [BIN, 'status', '--url', clone], 'node + pg connect, select 1', ['-e', bare], 2, runs),
    compare('migrate fingerprint', [BIN, 'fingerprint', '--url', production], 'node + pg connect, select 1', ['-e', bare], 2, runs),
  ]
}

/**
 * A stand-in and a marked clone of it, made for the start-up figures, and their cleanup (the
 * clone's own role with it, as `migrate clone drop` does).
 */
async function startupTargets(server: string, proposal: string): Promise<{ production: string; clone: string; cleanup: () => Promise<void> }> {
  const { withClient } = await import('../src/db/database.ts')
  const { ident, withDatabase } = await import('../src/db/url.ts')
  const { createFixture } = await import('../src/fixture/fixture.ts')
  const { createClone } = await import('../src/clone/clone.ts')
  const { dropWriterRoleIfUnused, writerRoleName } = await import('../src/db/clone-role.ts')
  const production = withDatabase(server, 'directus_bench_startup')
  const cloneName = 'directus_gov_test_bench_startup'
  const cleanup = () =>
    withClient(server, async (c) => {
      for (const name of [cloneName, 'directus_bench_startup']) await c.query(`drop database if exists ${ident(name)} with (force)`)
      await dropWriterRoleIfUnused(c, writerRoleName(cloneName))
    })
  await cleanup()
  try {
    await createFixture({ url: production })
    return { production, clone: (await createClone({ from: production, name: cloneName, proposal })).url, cleanup }
  } catch (error) {
    await cleanup()
    throw error
  }
}

/**
 * The start-up section of `npm run bench` (`--only startup`): the figures in the benchmark's
 * row format, and the cleanup of what they ran on.
 */
export async function benchStartup(options: { server: string; proposal: string; runs: number; log: (line: string) => void }): Promise<{ figures: Figure[]; cleanup: () => Promise<void> }> {
  options.log('start-up: a stand-in and a clone to run status and fingerprint on')
  const { production, clone, cleanup } = await startupTargets(options.server, options.proposal)
  const rows = startupFigures(production, clone, Math.max(options.runs, 9))
  const figures = rows.map((r): Figure => ({
    section: 'start-up',
    what: r.what,
    ms: r.medianMs,
    peakMb: r.peakRssMb,
    baseline: r.baseline,
    baselineMs: r.baselineMs,
    baselinePeakMb: r.baselinePeakRssMb,
    ratio: r.ratio,
    limit: r.target,
    ok: r.ok,
    runs: Math.max(options.runs, 9),
  }))
  return { figures, cleanup }
}

export function startupTable(rows: readonly StartupRow[]): string[] {
  return [
    'start-up (medians, interleaved with the baseline in this run)',
    ...rows.map(
      (r) =>
        `  ${r.what.padEnd(22)} ${String(r.medianMs).padStart(5)} ms  × ${r.ratio.toFixed(2)} of ${r.baseline} (${r.baselineMs} ms)  target ≤ ${r.target}  ${r.ok ? 'ok' : 'OVER'}  peak RSS ${r.peakRssMb ?? '?'} MB (baseline ${r.baselinePeakRssMb ?? '?'} MB)`,
    ),
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const flag = (name: string) => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
  }
  const { withDatabase } = await import('../src/db/url.ts')
  const { loadConfig } = await import('../src/config/load-config.ts')
  const { ensureEmbedded } = await import('../src/server/embedded.ts')
  const config = await loadConfig(join(ROOT, 'kysely.config.ts'))
  const given = flag('--url') ?? process.env.DATABASE_URL
  const server = given ? withDatabase(given, 'postgres') : await ensureEmbedded({ dataDir: resolve(config.root, config.embedded.dataDir), port: config.embedded.port })
  const { production, clone, cleanup } = await startupTargets(server, config.ratificationProposal)
  try {
    const rows = startupFigures(production, clone, Number(flag('--runs') ?? 15))
    process.stdout.write(args.includes('--json') ? `${JSON.stringify({ startup: rows }, null, 2)}\n` : `${startupTable(rows).join('\n')}\n`)
  } finally {
    await cleanup()
  }
}
