import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { before, describe, it } from 'node:test'
import { ensureBuilt, ROOT } from '../helpers.ts'

const run = promisify(execFile)

describe('the compiled loader’s cache', () => {
  before(ensureBuilt)

  it('drops the bundles of files that are gone once they are an hour old, and keeps the others', async () => {
    // In a fresh node running dist/, as the CLI does: two scratch projects, the first one gone and its bundle aged.
    const script = `
import { importTsAll } from ${JSON.stringify(join(ROOT, 'dist/loader/import-ts.js'))}
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const cache = ${JSON.stringify(join(ROOT, 'node_modules/.cache/gov-migrate'))}
const project = () => { const d = mkdtempSync(join(tmpdir(), 'loader-cache-')); writeFileSync(join(d, 'm.ts'), 'export const m: number = ' + Math.random() + '\\n'); return d }
const bundleOf = (d) => readdirSync(cache).filter((n) => /^[0-9a-f]{64}\\.json$/.test(n)).find((n) => readFileSync(join(cache, n), 'utf8').includes(d))
const gone = project(), kept = project(), young = project()
for (const d of [gone, kept, young]) await importTsAll([join(d, 'm.ts')])
const aged = new Date(Date.now() - 2 * 3600_000)
const manifests = { gone: bundleOf(gone), kept: bundleOf(kept), young: bundleOf(young) }
const dirs = Object.fromEntries(Object.entries(manifests).map(([k, m]) => [k, JSON.parse(readFileSync(join(cache, m), 'utf8')).dir]))
for (const k of ['gone', 'kept']) { utimesSync(join(cache, manifests[k]), aged, aged); utimesSync(join(cache, dirs[k]), aged, aged) }
rmSync(gone, { recursive: true }); rmSync(young, { recursive: true })
const next = project()
await importTsAll([join(next, 'm.ts')])
console.log(JSON.stringify(Object.fromEntries(Object.keys(manifests).map((k) => [k, existsSync(join(cache, manifests[k])) && existsSync(join(cache, dirs[k]))]))))
for (const d of [kept, next]) rmSync(d, { recursive: true })
`
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT })
    // gone: an hour old, its file removed. kept: an hour old, its file still there. young: its file removed a moment ago.
    assert.deepEqual(JSON.parse(stdout), { gone: false, kept: true, young: true })
  })
})

describe('the compiled loader’s errors', () => {
  before(ensureBuilt)

  it('names the file whose module throws while it loads, among files loaded together', async () => {
    const script = `
import { importTsAll } from ${JSON.stringify(join(ROOT, 'dist/loader/import-ts.js'))}
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const d = mkdtempSync(join(tmpdir(), 'loader-errors-'))
const files = ['a', 'b', 'c'].map((n) => join(d, n + '.ts'))
writeFileSync(files[0], 'export const a: number = 1\\n')
writeFileSync(files[1], 'export const b: number = 2\\nthrow new Error("b breaks " + ' + Math.random() + ')\\n')
writeFileSync(files[2], 'export const c: number = 3\\n')
try {
  await importTsAll(files)
  console.log(JSON.stringify({ loaded: true }))
} catch (error) {
  console.log(JSON.stringify({ file: error.file.slice(d.length + 1), message: error.message.replace(/ [0-9.]+$/, '') }))
} finally {
  rmSync(d, { recursive: true })
}
`
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT })
    assert.deepEqual(JSON.parse(stdout), { file: 'b.ts', message: 'b breaks' })
  })
})
