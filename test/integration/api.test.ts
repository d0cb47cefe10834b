import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { dropLater, ensureBuilt, markedClone, ROOT, standIn, uniqueName } from '../helpers.ts'

const run = promisify(execFile)

/** A user's project: its own package.json, gov-migrate in its node_modules (as `npm install <path>` links it). */
function scratchProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gov-migrate-user-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user', type: 'module', private: true, dependencies: { 'gov-migrate': `file:${ROOT}` } }))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(ROOT, join(dir, 'node_modules', 'gov-migrate'))
  return dir
}

describe('the programmatic API', () => {
  before(ensureBuilt)

  it('package.json exports built JavaScript with type declarations', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; import: string }> }
    const main = pkg.exports['.']
    assert.ok(main)
    assert.match(main.import, /^\.\/dist\/.*\.js$/)
    assert.match(main.types, /^\.\/dist\/.*\.d\.ts$/)
    assert.ok(existsSync(join(ROOT, main.import)) && existsSync(join(ROOT, main.types)))
  })

  it('a plain Node program imports gov-migrate and runs fingerprint, up, status, verify; a refusal is a RefusedError', async () => {
    const production = await standIn()
    const clone = await markedClone(production)
    const dir = scratchProject()
    writeFileSync(
      join(dir, 'program.mjs'),
      `import { loadConfig, fingerprint, up, status, verify, RefusedError } from 'gov-migrate'
const [configFile, production, clone] = process.argv.slice(2)
const config = await loadConfig(configFile)
const entry = await fingerprint(production, config.ratificationProposal)
const run = await up({ url: clone, config, to: 'A' })
const st = await status(clone, config)
const checked = await verify(clone, config)
let refused = null
try { await up({ url: production, config, to: 'A' }) } catch (error) { refused = error instanceof RefusedError ? error.name : String(error) }
console.log(JSON.stringify({ gap: entry.gap, applied: run.steps.map((s) => s.id), a: st.migrations.find((m) => m.id === 'A').applied, verified: checked.ok, refused }))
`,
    )
    const { stdout } = await run(process.execPath, ['program.mjs', join(ROOT, 'kysely.config.ts'), production, clone], { cwd: dir })
    assert.deepEqual(JSON.parse(stdout), { gap: 210, applied: ['A'], a: true, verified: true, refused: 'RefusedError' })
  })

  it('a plain Node program runs the clone lifecycle, plan, down and rehearse', async () => {
    const production = await standIn()
    const clone = uniqueName('directus_gov_test_api')
    const rehearsal = uniqueName('directus_gov_test_api_r')
    for (const name of [clone, `${clone}_golden`, rehearsal, `${rehearsal}_golden`]) dropLater(name)
    const dir = scratchProject()
    writeFileSync(
      join(dir, 'program.mjs'),
      `import { loadConfig, createClone, listClones, plan, up, down, status, snapshotClone, resetClone, rehearse, dropClone } from 'gov-migrate'
const [configFile, production, name, rehearsal] = process.argv.slice(2)
const config = await loadConfig(configFile)
const made = await createClone({ from: production, name, proposal: config.ratificationProposal, strategy: 'template' })
const planned = await plan({ url: made.url, config, to: 'B' })
await up({ url: made.url, config, to: 'B' })
const back = await down({ url: made.url, config, to: '0' })
const golden = await snapshotClone(made.url)
await up({ url: made.url, config, to: 'A' })
const reset = await resetClone(made.url)
const afterReset = (await status(made.url, config)).migrations.filter((m) => m.applied).map((m) => m.id)
const listed = (await listClones(production)).filter((c) => c.name === name).map((c) => c.marker)
const record = await rehearse({ productionUrl: production, cloneName: rehearsal, config, to: 'B' })
const dropped = [await dropClone(made.url), await dropClone(made.url.replace(/[^/]+$/, golden))]
console.log(JSON.stringify({ strategy: made.strategy, planned: planned.items.map((i) => i.id), back: back.steps.map((s) => s.id), reset: reset.name, afterReset, listed, verdict: record.verdict, range: record.range, dropped }))
`,
    )
    const { stdout } = await run(process.execPath, ['program.mjs', join(ROOT, 'kysely.config.ts'), production, clone, rehearsal], { cwd: dir })
    assert.deepEqual(JSON.parse(stdout), {
      strategy: 'template',
      planned: ['A', 'B'],
      back: ['B', 'A'],
      reset: clone,
      afterReset: [],
      listed: ['ok'],
      verdict: 'PASS',
      range: 'A…B',
      dropped: [clone, `${clone}_golden`],
    })
  })

  it('a TypeScript program type-checks against the declarations', async () => {
    const dir = scratchProject()
    writeFileSync(
      join(dir, 'program.ts'),
      `import { status, type Status, type LoadedConfig } from 'gov-migrate'
export async function pending(url: string, config: LoadedConfig): Promise<string[]> {
  const s: Status = await status(url, config)
  return s.migrations.filter((m) => !m.applied).map((m) => m.id)
}
`,
    )
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['program.ts'] }))
    const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' })
    assert.equal(result.status, 0, result.stdout)
  })
})
