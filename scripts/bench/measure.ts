/**
 * Timing helpers of `npm run bench`: every figure is a ratio against a raw baseline
 * measured in the same run, with the peak memory of what was measured.
 */
import { spawnSync } from 'node:child_process'

export interface Timing {
  ms: number
  /** Peak resident memory in MB: this process (sampled) for the tool, the largest process for a command. */
  peakMb: number
}

/** Times an in-process call, sampling this process's resident memory every 20 ms. */
export async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  let peak = process.memoryUsage.rss()
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20)
  const started = performance.now()
  try {
    await fn()
    return { ms: performance.now() - started, peakMb: peak / 1024 / 1024 }
  } finally {
    clearInterval(sampler)
  }
}

/** Times a shell command line under GNU time (`%M`: the peak RSS of its largest process). */
export function timedShell(line: string, env: NodeJS.ProcessEnv = process.env): Timing {
  const started = performance.now()
  const result = spawnSync('/usr/bin/time', ['-f', 'peak-kb %M', 'bash', '-o', 'pipefail', '-c', line], { env, encoding: 'utf8' })
  const ms = performance.now() - started
  if (result.status !== 0) throw new Error(`bench: \`${line}\` failed (exit ${result.status}): ${result.stderr.trim().split('\n').at(-2) ?? ''}`)
  const kb = Number(/peak-kb (\d+)/.exec(result.stderr)?.[1] ?? Number.NaN)
  return { ms, peakMb: kb / 1024 }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2
}

/** The median run (by time) of several, with the largest peak among them. */
export function medianOf(timings: readonly Timing[]): Timing & { runs: number } {
  return { ms: median(timings.map((t) => t.ms)), peakMb: Math.max(...timings.map((t) => t.peakMb)), runs: timings.length }
}

/** One row of the benchmark: a figure, its baseline and their ratio against a limit. */
export interface Figure {
  section: string
  what: string
  ms: number
  peakMb: number | null
  baseline: string
  baselineMs: number
  baselinePeakMb: number | null
  /** ms / baselineMs (for scale rows: time(N) / (N × time(1))). */
  ratio: number
  /** The bar, or null for a figure that explains another and has none. */
  limit: number | null
  ok: boolean | null
  runs: number
}

export function figure(section: string, what: string, tool: Timing & { runs: number }, baseline: string, raw: Timing & { runs?: number }, limit: number | null, factor = 1): Figure {
  const ratio = tool.ms / (raw.ms * factor)
  return {
    section,
    what,
    ms: Math.round(tool.ms),
    peakMb: Math.round(tool.peakMb),
    baseline,
    baselineMs: Math.round(raw.ms * factor),
    baselinePeakMb: Number.isFinite(raw.peakMb) ? Math.round(raw.peakMb) : null,
    ratio: Number(ratio.toFixed(3)),
    limit,
    ok: limit === null ? null : ratio <= limit,
    runs: tool.runs,
  }
}
