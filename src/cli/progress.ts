import { SingleBar } from 'cli-progress'
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
 * Renders dump progress on stderr with cli-progress: on a terminal a bar redrawn in place, with
 * line wrap off while it draws (a line wider than the terminal is cut, never wrapped onto a second
 * line a carriage return cannot reach) and the cursor hidden and given back, on Ctrl-C too;
 * otherwise a plain line per finished table, at least every 5 s, and the last one. The line's
 * words are `progressLine`'s.
 */
export function dumpProgressRenderer(stream: NodeJS.WriteStream = process.stderr): { update: (p: DumpProgress) => void; end: () => void } {
  const bar = new SingleBar({
    stream,
    format: stream.isTTY ? '• {bar} {line}' : '• {line}',
    barsize: 20,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    linewrap: false,
    noTTYOutput: true,
    notTTYSchedule: 5000,
    // A terminal keeps the last bar; a log ends on the last line, with no empty one after it.
    clearOnComplete: !stream.isTTY,
  })
  let started = false
  let tables = 0
  return {
    update(p) {
      const total = Math.max(p.estimatedBytes, p.bytes, 1)
      const line = { line: progressLine(p) }
      if (!started) {
        started = true
        bar.start(total, p.bytes, line)
      } else {
        bar.setTotal(total)
        bar.update(p.bytes, line)
        // A log also gets a line per table pg_dump finishes (a terminal redraws anyway); the
        // last table's line is the one `stop` writes, so it is not written twice.
        if (!stream.isTTY && p.tablesDone !== tables && p.tablesDone < p.tablesTotal) bar.render()
      }
      tables = p.tablesDone
    },
    end() {
      if (started) bar.stop()
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
