import type { DumpProgress } from '../clone/dump.ts'

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** One progress line: bytes, tables, rate and (estimated) time left. */
export function progressLine(p: DumpProgress): string {
  const seconds = p.elapsedMs / 1000
  const rate = seconds > 0 ? p.bytes / seconds : 0
  // A rate needs a second and a megabyte behind it before it predicts anything.
  const left =
    seconds < 1 || p.bytes < 1024 * 1024 ? 'time left unknown' : `≈${Math.round(Math.max(p.estimatedBytes - p.bytes, 0) / rate)}s left`
  return `copied ${mb(p.bytes)} of ≈${mb(p.estimatedBytes)}, tables ${p.tablesDone}/${p.tablesTotal}, ${mb(rate)}/s, ${left}`
}

/**
 * Renders dump progress on stderr: a line rewritten in place on a terminal, plain
 * lines (at most one every 5 s, and one per table) otherwise.
 */
export function dumpProgressRenderer(stream: NodeJS.WriteStream = process.stderr): { update: (p: DumpProgress) => void; end: () => void } {
  let lastPlain = -Infinity
  let lastTables = -1
  let drawn = false
  let last: DumpProgress | undefined
  let printed = true
  return {
    update(p) {
      last = p
      printed = false
      if (stream.isTTY) {
        stream.write(`\r• ${progressLine(p)}\x1b[K`)
        drawn = true
      } else if (p.elapsedMs - lastPlain >= 5000 || p.tablesDone !== lastTables) {
        lastPlain = p.elapsedMs
        lastTables = p.tablesDone
        stream.write(`• ${progressLine(p)}\n`)
        printed = true
      }
    },
    end() {
      if (drawn) stream.write('\n')
      else if (last && !printed) stream.write(`• ${progressLine(last)}\n`)
    },
  }
}

/** Ctrl-C or a TERM during a long clone aborts it cleanly (the half-made database is dropped). */
export function abortOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController()
  const abort = () => controller.abort()
  process.once('SIGINT', abort)
  process.once('SIGTERM', abort)
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', abort)
      process.off('SIGTERM', abort)
    },
  }
}
