/**
 * `npm run bench -- [--url <server url>] [--size 1.2GB] [--json]`: the clone lifecycle at real size.
 * Builds a stand-in with organic bulk, then times, on the same server in the same run:
 * dump-and-restore (the baseline: what every re-clone cost in the reports), template copy,
 * and a reset from a golden snapshot; and the whole pipeline up and down at scale 1 and 10.
 * Figures are ratios against the named baseline; absolute times are printed for context.
 */
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { loadConfig } from '../src/config/load-config.ts'
import { ensureEmbedded } from '../src/server/embedded.ts'
import { ident, withDatabase } from '../src/db/url.ts'
import { withClient } from '../src/db/database.ts'
import { createFixture, parseSize } from '../src/fixture/fixture.ts'
import { createClone } from '../src/clone/clone.ts'
import { resetClone, snapshotClone } from '../src/clone/snapshot.ts'
import { down, up } from '../src/migrator/migrator.ts'

const args = process.argv.slice(2)
const flag = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const config = await loadConfig(resolve(import.meta.dirname, '../kysely.config.ts'))
const given = flag('--url') ?? process.env.DATABASE_URL
const server = given ? withDatabase(given, 'postgres') : await ensureEmbedded({ dataDir: resolve(config.root, config.embedded.dataDir), port: config.embedded.port })
const size = parseSize(flag('--size') ?? '1.2GB')
const proposal = config.ratificationProposal
const created: string[] = []
const log = (line: string) => process.stderr.write(`• ${line}\n`)

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T; peakRssMb: number }> {
  let peak = process.memoryUsage().rss
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  const started = performance.now()
  try {
    const value = await fn()
    return { ms: Math.round(performance.now() - started), value, peakRssMb: Math.round(peak / 1024 / 1024) }
  } finally {
    clearInterval(sampler)
  }
}

async function drop(name: string): Promise<void> {
  await withClient(server, (c) => c.query(`drop database if exists ${ident(name)} with (force)`))
}

const results: Record<string, { ms: number; peakRssMb?: number; note?: string }> = {}
try {
  const source = withDatabase(server, 'directus_bench')
  log(`building the stand-in with organic bulk to ${(size / 1024 / 1024).toFixed(0)} MB`)
  const built = await timed(() => createFixture({ url: source, bulkBytes: size, onProgress: log }))
  results['build stand-in'] = { ms: built.ms }
  const bytes = await withClient(source, async (c) => Number((await c.query<{ n: string }>('select pg_database_size(current_database()) as n')).rows[0]?.n))
  let dumpMajor = 0
  try {
    dumpMajor = Number(/(\d+)/.exec(execFileSync('pg_dump', ['--version'], { encoding: 'utf8' }).replace(/^[^\d]*/, ''))?.[1] ?? 0)
  } catch {
    dumpMajor = 0
  }
  const serverMajor = await withClient(server, async (c) => Number((await c.query<{ v: number }>(`select current_setting('server_version_num')::int / 10000 as v`)).rows[0]?.v))

  if (dumpMajor >= serverMajor) {
    for (const name of ['directus_gov_test_bench_dump']) created.push(name)
    log('dump-and-restore (baseline)')
    const dumped = await timed(() => createClone({ from: source, name: 'directus_gov_test_bench_dump', proposal, strategy: 'dump', onProgress: log }))
    results['clone: dump-and-restore (baseline)'] = { ms: dumped.ms, peakRssMb: dumped.peakRssMb }
    await drop('directus_gov_test_bench_dump')
  } else {
    results['clone: dump-and-restore (baseline)'] = { ms: Number.NaN, note: `pg_dump ${dumpMajor} cannot read PostgreSQL ${serverMajor}` }
  }

  created.push('directus_gov_test_bench', 'directus_gov_test_bench_golden')
  const templated = await timed(() => createClone({ from: source, name: 'directus_gov_test_bench', proposal, strategy: 'template' }))
  results['clone: template copy'] = { ms: templated.ms, peakRssMb: templated.peakRssMb }
  const cloneUrl = withDatabase(server, 'directus_gov_test_bench')
  const snap = await timed(() => snapshotClone(cloneUrl))
  results['golden snapshot (once)'] = { ms: snap.ms }
  await up({ url: cloneUrl, config })
  const reset = await timed(() => resetClone(cloneUrl))
  results['clone: reset from golden snapshot'] = { ms: reset.ms, peakRssMb: reset.peakRssMb }

  for (const scale of [1, 10]) {
    const url = withDatabase(server, `directus_bench_s${scale}`)
    created.push(`directus_bench_s${scale}`, `directus_gov_test_bench_s${scale}`)
    await createFixture({ url, scale })
    const clone = (await createClone({ from: url, name: `directus_gov_test_bench_s${scale}`, proposal })).url
    const round = await timed(async () => {
      await up({ url: clone, config })
      await down({ url: clone, config, to: '0' })
    })
    results[`pipeline up + down, scale ${scale}`] = { ms: round.ms }
  }

  const baseline = results['clone: dump-and-restore (baseline)']?.ms ?? Number.NaN
  const scale1 = results['pipeline up + down, scale 1']?.ms ?? Number.NaN
  const rows = Object.entries(results).map(([what, r]) => {
    const against = what.startsWith('clone:') ? baseline : what.startsWith('pipeline') ? scale1 : Number.NaN
    return { what, ms: r.ms, ratio: Number.isFinite(against) && Number.isFinite(r.ms) ? Number((r.ms / against).toFixed(3)) : null, peakRssMb: r.peakRssMb ?? null, note: r.note ?? null }
  })
  const summary = { server: serverMajor, standInBytes: bytes, baselines: { clone: 'dump-and-restore', pipeline: 'scale 1' }, rows }
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
  else {
    process.stdout.write(`PostgreSQL ${serverMajor}, stand-in ${(bytes / 1024 / 1024).toFixed(0)} MB\n`)
    for (const r of rows) {
      process.stdout.write(`${r.what.padEnd(40)} ${String(r.ms).padStart(8)} ms  ${r.ratio === null ? '' : `× ${r.ratio} of baseline`}${r.peakRssMb ? `  (peak RSS ${r.peakRssMb} MB)` : ''}${r.note ? `  ${r.note}` : ''}\n`)
    }
  }
} finally {
  for (const name of created.reverse()) await drop(name)
  await drop('directus_bench')
}
