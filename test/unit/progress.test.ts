import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { dumpProgressRenderer } from '../../src/cli/progress.ts'

/** A stream that records what is written, as a terminal (`isTTY`) or as a pipe or file. */
function sink(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { isTTY: boolean; columns?: number }
  stream.isTTY = tty
  // A terminal 60 columns wide; a pipe or a file has no width.
  if (tty) stream.columns = 60
  let written = ''
  ;(stream as unknown as PassThrough).on('data', (chunk: Buffer) => (written += chunk.toString()))
  return { stream, text: () => written }
}

const MB = 2 ** 20
const ESC = '\u001b'
const steps = [0, 1, 2, 3].map((i) => ({ bytes: i * 25 * MB, estimatedBytes: 75 * MB, tablesDone: i, tablesTotal: 3, elapsedMs: i * 1000 }))

describe('dump progress on stderr', () => {
  it('writes plain lines, no control codes, when not on a terminal: the first, one per finished table, the last once', () => {
    const { stream, text } = sink(false)
    const progress = dumpProgressRenderer(stream)
    for (const step of steps) progress.update(step)
    progress.end()
    const lines = text().split('\n').filter(Boolean)
    assert.deepEqual(lines, [
      '• copied 0.0 MB of ≈75.0 MB, tables 0/3, 0.0 MB/s, time left unknown',
      '• copied 25.0 MB of ≈75.0 MB, tables 1/3, 25.0 MB/s, ≈2s left',
      '• copied 50.0 MB of ≈75.0 MB, tables 2/3, 25.0 MB/s, ≈1s left',
      '• copied 75.0 MB of ≈75.0 MB, tables 3/3, 25.0 MB/s, ≈0s left',
    ])
    assert.ok(!text().includes('\r') && !text().includes(ESC), JSON.stringify(text()))
  })

  it('redraws one line in place on a terminal, line wrap off (a long line is cut, not wrapped), and gives the cursor back', () => {
    const { stream, text } = sink(true)
    const progress = dumpProgressRenderer(stream)
    for (const step of steps) progress.update(step)
    progress.end()
    const out = text()
    const at = (code: string) => out.indexOf(`${ESC}[${code}`)
    assert.ok(at('?25l') >= 0 && at('?25h') > at('?25l'), 'cursor hidden while drawing, shown again at the end')
    assert.ok(at('?7l') >= 0 && at('?7h') > at('?7l'), 'no line wrap while drawing, restored after')
    assert.match(out, /█{20} copied 75\.0 MB/, 'the last bar is full')
    assert.equal(out.split('\n').length, 2, 'one line, ended once')
  })

  it('writes nothing when nothing was copied', () => {
    const { stream, text } = sink(false)
    dumpProgressRenderer(stream).end()
    assert.equal(text(), '')
  })
})
