/**
 * The scale section of `npm run bench`: the whole clone pipeline up and down on stand-ins
 * of scale 1, 10, 25 and 100 (35N collections, 5N groups). Linear means
 * time(N) ≈ N × time(1); each row is time(N) / (N × time(1)), scale 1 the median of runs,
 * and then the same step by step (10 → 25 → 100), where scale 1's fixed cost cannot hide growth.
 */
import { createClone } from '../../src/clone/clone.ts'
import type { LoadedConfig } from '../../src/config/load-config.ts'
import { withClient } from '../../src/db/database.ts'
import { ident, withDatabase } from '../../src/db/url.ts'
import { createFixture } from '../../src/fixture/fixture.ts'
import { dropWriterRoleIfUnused, writerRoleName } from '../../src/db/clone-role.ts'
import { hasClonePrefix } from '../../src/guard/guard.ts'
import { down, up } from '../../src/migrator/migrator.ts'
import { figure, medianOf, timed, type Figure, type Timing } from './measure.ts'

export interface PipelineBenchOptions {
  server: string
  config: LoadedConfig
  scales: readonly number[]
  /** Runs at every scale: each figure is the median of its runs. */
  runs: number
  log: (line: string) => void
}

export async function benchPipeline(options: PipelineBenchOptions): Promise<{ figures: Figure[]; cleanup: () => Promise<void> }> {
  const { server, log } = options
  const names = options.scales.flatMap((n) => [`directus_bench_s${n}`, `directus_gov_test_bench_s${n}`])
  const cleanup = async () => {
    await withClient(server, async (c) => {
      for (const name of names) {
        await c.query(`drop database if exists ${ident(name)} with (force)`)
        if (hasClonePrefix(name)) await dropWriterRoleIfUnused(c, writerRoleName(name))
      }
    })
  }
  await cleanup()
  const measured = new Map<number, { up: Timing & { runs: number }; down: Timing & { runs: number } }>()
  for (const scale of [...new Set([1, ...options.scales])].sort((a, b) => a - b)) {
    const source = withDatabase(server, `directus_bench_s${scale}`)
    if (!names.includes(`directus_bench_s${scale}`)) names.push(`directus_bench_s${scale}`, `directus_gov_test_bench_s${scale}`)
    log(`scale ${scale}: building the stand-in and its clone`)
    await createFixture({ url: source, scale })
    const clone = (await createClone({ from: source, name: `directus_gov_test_bench_s${scale}`, proposal: options.config.ratificationProposal, strategy: 'template' })).url
    // The scanner's safety bound raised to what this scale holds (40 candidates per unit).
    const config = { ...options.config, scanner: { ...options.config.scanner, maxCandidates: Math.max(options.config.scanner.maxCandidates, 40 * scale) } }
    const ups: Timing[] = []
    const downs: Timing[] = []
    // Every scale takes the median of its runs: a single run at a large scale also pays a fresh
    // clone's one-off costs (hint bits, autovacuum of the just-built stand-in), which read as growth.
    const runs = options.runs
    for (let i = 0; i < runs; i++) {
      log(`scale ${scale}: up and down ${i + 1}/${runs}`)
      ups.push(await timed(() => up({ url: clone, config })))
      downs.push(await timed(() => down({ url: clone, config, to: '0' })))
    }
    measured.set(scale, { up: medianOf(ups), down: medianOf(downs) })
  }
  const one = measured.get(1)
  const figures: Figure[] = []
  if (!one) return { figures, cleanup }
  for (const scale of options.scales) {
    const at = measured.get(scale)
    if (!at) continue
    figures.push(figure('pipeline', `up, scale ${scale}`, at.up, `${scale} × up at scale 1`, one.up, 1.2, scale))
    figures.push(figure('pipeline', `down, scale ${scale}`, at.down, `${scale} × down at scale 1`, one.down, 1.2, scale))
  }
  // Step by step: scale 1's fixed cost (connections, loading, measuring) dominates the rows
  // above, so a stage that grows faster than its rows would hide there. Against the previous
  // scale above 1, time(N) / ((N / P) × time(P)) shows it.
  const steps = [...measured.keys()].filter((n) => n > 1).sort((a, b) => a - b)
  for (const [i, scale] of steps.entries()) {
    const previous = steps[i - 1]
    const at = measured.get(scale)
    const before = previous === undefined ? undefined : measured.get(previous)
    if (previous === undefined || !at || !before) continue
    const factor = scale / previous
    figures.push(figure('pipeline', `up, scale ${scale}`, at.up, `${factor} × up at scale ${previous}`, before.up, 1.2, factor))
    figures.push(figure('pipeline', `down, scale ${scale}`, at.down, `${factor} × down at scale ${previous}`, before.down, 1.2, factor))
  }
  return { figures, cleanup }
}
