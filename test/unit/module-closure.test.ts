import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { moduleClosures, sha256Of } from '../../src/migrator/module-closure.ts'

describe('module closures', () => {
  const root = mkdtempSync(join(tmpdir(), 'closure-'))
  after(() => rmSync(root, { recursive: true, force: true }))
  const cacheDir = join(root, 'node_modules', '.cache', 'gov-migrate')
  /** Writes a file dated an hour ago, as a file edited before the run is. */
  const write = (path: string, text: string) => {
    writeFileSync(join(root, path), text)
    const past = new Date(Date.now() - 3_600_000)
    utimesSync(join(root, path), past, past)
  }
  mkdirSync(join(root, 'migrations'))
  mkdirSync(join(root, 'src'))
  const entry = join(root, 'migrations', '0001-A.ts')
  const keys = async () => Object.keys((await moduleClosures(root, [entry])).get(entry)?.modules ?? {})

  it('keeps the import graph between runs and follows an edit anywhere in it', async () => {
    write('migrations/0001-A.ts', `import { b } from '../src/b.ts'\nimport type { T } from '../src/types.ts'\nexport default b as T\n`)
    write('src/b.ts', `export const b = 1\n`)
    write('src/c.ts', `export const c = 2\n`)
    write('src/types.ts', `export type T = number\n`)
    assert.deepEqual(await keys(), ['migrations/0001-A.ts', 'src/b.ts'])
    assert.equal(readdirSync(cacheDir).filter((f) => f.startsWith('closures-')).length, 1, 'the graph is kept')
    // A kept graph gives the same closure, with the hash of the files as they are.
    const first = (await moduleClosures(root, [entry])).get(entry)
    assert.equal(first?.modules['src/b.ts'], sha256Of('export const b = 1\n'))
    // An edit of an imported module that adds an import: the kept graph is stale and not used.
    write('src/b.ts', `import { c } from './c.ts'\nexport const b = c\n`)
    assert.deepEqual(await keys(), ['migrations/0001-A.ts', 'src/b.ts', 'src/c.ts'])
    // …and an edit that removes it again.
    write('src/b.ts', `export const b = 3\n`)
    assert.deepEqual(await keys(), ['migrations/0001-A.ts', 'src/b.ts'])
    // A type-only import that becomes a value import is followed.
    write('migrations/0001-A.ts', `import { b } from '../src/b.ts'\nimport { c } from '../src/c.ts'\nexport default b + c\n`)
    assert.deepEqual(await keys(), ['migrations/0001-A.ts', 'src/b.ts', 'src/c.ts'])
  })

  it('does not keep a graph whose imports another file could change (no .ts extension)', async () => {
    rmSync(cacheDir, { recursive: true, force: true })
    write('migrations/0001-A.ts', `import { c } from '../src/c'\nexport default c\n`)
    assert.deepEqual(await keys(), ['migrations/0001-A.ts', 'src/c.ts'])
    assert.equal(existsSync(cacheDir) ? readdirSync(cacheDir).filter((f) => f.startsWith('closures-')).length : 0, 0)
  })
})
