/**
 * `npm run bench -- [--url <server url>] [--size 1.2GB] [--scales 1,10,25,100] [--runs 3]
 * [--dump-runs 1] [--only clones|pipeline|startup] [--json]`: measured, never asserted by a test.
 * Every figure is a ratio against its raw baseline measured in the same run, with the
 * peak memory: clones against the PostgreSQL tools (scripts/bench/clones.ts), the
 * pipeline at scale N against N × scale 1 (scripts/bench/pipeline.ts), the CLI's start-up
 * against node + pg (scripts/bench-startup.ts). A table on
 * stdout, or with `--json` one document; progress on stderr. The dump row needs a
 * pg_dump that reaches the server: run it against a PostgreSQL 15 cluster (`--url`).
 */
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { loadConfig } from '../src/config/load-config.ts'
import { ensureEmbedded } from '../src/server/embedded.ts'
import { withDatabase } from '../src/db/url.ts'
import { withClient } from '../src/db/database.ts'
import { parseSize } from '../src/fixture/fixture.ts'
import { benchClones } from './bench/clones.ts'
import { benchPipeline } from './bench/pipeline.ts'
import { benchStartup } from './bench-startup.ts'
import type { Figure } from './bench/measure.ts'

const args = process.argv.slice(2)
const flag = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const config = await loadConfig(resolve(import.meta.dirname, '../kysely.config.ts'))
const given = flag('--url') ?? process.env.DATABASE_URL
const server = given ? withDatabase(given, 'postgres') : await ensureEmbedded({ dataDir: resolve(config.root, config.embedded.dataDir), port: config.embedded.port })
const only = flag('--only')
const runs = Number(flag('--runs') ?? 3)
const log = (line: string) => process.stderr.write(`• ${line}\n`)

const serverMajor = await withClient(server, async (c) => Number((await c.query<{ v: number }>(`select current_setting('server_version_num')::int / 10000 as v`)).rows[0]?.v))
let dumpMajor = 0
try {
  dumpMajor = Number(/(\d+)/.exec(execFileSync('pg_dump', ['--version'], { encoding: 'utf8' }).replace(/^[^\d]*/, ''))?.[1] ?? 0)
} catch {
  dumpMajor = 0
}

const figures: Figure[] = []
const cleanups: (() => Promise<void>)[] = []
let standInBytes: number | null = null
try {
  if (only === undefined || only === 'clones') {
    const clones = await benchClones({
      server,
      bulkBytes: parseSize(flag('--size') ?? '1.2GB'),
      proposal: config.ratificationProposal,
      runs,
      dumpRuns: Number(flag('--dump-runs') ?? 1),
      dump: dumpMajor >= serverMajor,
      log,
    })
    cleanups.push(clones.cleanup)
    figures.push(...clones.figures)
    standInBytes = clones.standInBytes
  }
  if (only === undefined || only === 'pipeline') {
    const scales = (flag('--scales') ?? '1,10,25,100').split(',').map(Number)
    const pipeline = await benchPipeline({ server, config, scales, runs, log })
    cleanups.push(pipeline.cleanup)
    figures.push(...pipeline.figures)
  }
  if (only === undefined || only === 'startup') {
    // The compiled CLI against its raw baselines (scripts/bench-startup.ts; build first: npm run build).
    const startup = await benchStartup({ server, proposal: config.ratificationProposal, runs, log })
    cleanups.push(startup.cleanup)
    figures.push(...startup.figures)
  }
} finally {
  for (const cleanup of cleanups) await cleanup()
}

const summary = { server: `PostgreSQL ${serverMajor}`, pgDump: dumpMajor || null, standInBytes, figures }
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
else {
  const header = ['figure', 'ms', 'peak MB', 'baseline', 'baseline ms', 'peak MB', 'ratio', 'limit', 'runs', '']
  const rows = figures.map((f) => [f.what, String(f.ms), String(f.peakMb ?? ''), f.baseline, String(f.baselineMs), String(f.baselinePeakMb ?? ''), `${f.ratio.toFixed(2)}×`, f.limit === null ? '—' : `≤ ${f.limit}×`, String(f.runs), f.ok === null ? '' : f.ok ? 'ok' : 'OVER'])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 3 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd()
  process.stdout.write(`${summary.server}${standInBytes ? `, stand-in ${(standInBytes / 1024 / 1024).toFixed(0)} MB` : ''}\n${line(header)}\n`)
  for (const row of rows) process.stdout.write(`${line(row)}\n`)
}
