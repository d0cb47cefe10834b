import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { before, describe, it } from 'node:test'
import { ensureBuilt, markedClone, ROOT, standIn } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'

const run = promisify(execFile)

/**
 * Three migrations and a helper module two of them import. The helper keeps state (the ids
 * that ran) and throws the package's own RefusedError. With one module graph, Q sees what P
 * recorded and R's refusal is the runner's RefusedError (exit 3, its message as it is); with a
 * copy of the helper per migration, Q finds nothing recorded, and a copy of the package's
 * errors module would make R's refusal a failed migration (exit 1).
 */
function project(): { dir: string; config: string } {
  const p = projectCopy({ upTo: '0000' })
  p.add('shared.ts', `import { RefusedError } from '../src/errors.ts'
/** One array per process when every migration sees the same module. */
export const ran: string[] = []
export function refuse(id: string): never {
  throw new RefusedError(\`refused by stage \${id} through a module it imports\`, 'nothing to fix: the test asks for it')
}
`)
  p.add('0001-P-first.ts', `import { defineMigration } from '../src/migrator/migration.ts'
import { ran } from './shared.ts'
export default defineMigration({
  id: 'P', title: 'records that it ran', tier: 'clone',
  expect: () => ({}),
  async up() { ran.push('P') },
  async down() {},
})
`)
  p.add('0002-Q-second.ts', `import { defineMigration } from '../src/migrator/migration.ts'
import first from './0001-P-first.ts'
import { ran } from './shared.ts'
export default defineMigration({
  id: 'Q', title: 'sees what P recorded', tier: 'clone',
  expect: () => ({}),
  async up() {
    if (first.id !== 'P' || ran.join(',') !== 'P') throw new Error(\`Q sees another copy of shared.ts: ran = [\${ran.join(',')}]\`)
  },
  async down() {},
})
`)
  p.add('0003-R-refuses.ts', `import { defineMigration } from '../src/migrator/migration.ts'
import { refuse } from './shared.ts'
export default defineMigration({
  id: 'R', title: 'refuses through its helper', tier: 'clone',
  expect: () => ({}),
  async up() { refuse('R') },
  async down() {},
})
`)
  return p
}

interface Outcome {
  code: number
  out: string
}

/** Runs `main(argv)` of the CLI module `entry` (dist/ compiled, or src/ under tsx) in a fresh node. */
async function main(entry: string, argv: string[], loader: string[] = []): Promise<Outcome> {
  const script = `import { main } from ${JSON.stringify(entry)}; process.exitCode = await main(JSON.parse(process.env.ARGV))`
  try {
    const { stdout, stderr } = await run(process.execPath, [...loader, '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, DATABASE_URL: '', ARGV: JSON.stringify(argv) } })
    return { code: 0, out: `${stdout}${stderr}` }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

describe('one module graph: the migrations and the tool share every module', () => {
  before(ensureBuilt)

  const runners: [string, string, string[]][] = [
    ['the compiled CLI (dist/)', join(ROOT, 'dist/cli/main.js'), []],
    ['the CLI from source (tsx)', join(ROOT, 'src/cli/main.ts'), ['--import', 'tsx']],
  ]
  for (const [title, entry, loader] of runners) {
    it(`${title}: a helper two migrations import is one module, and its RefusedError is the runner's`, async () => {
      const { config } = project()
      const clone = await markedClone(await standIn())
      const both = await main(entry, ['up', '--to', 'Q', '--url', clone, '--config', config], loader)
      assert.equal(both.code, 0, both.out)
      const refused = await main(entry, ['up', '--to', 'R', '--url', clone, '--config', config], loader)
      assert.equal(refused.code, 3, refused.out)
      assert.match(refused.out, /migrate: refused by stage R through a module it imports — fix: nothing to fix: the test asks for it/)
    })
  }

  it('the programmatic API (dist/index.js): the same, and the refusal is `instanceof` the RefusedError it exports', async () => {
    const { dir, config } = project()
    const clone = await markedClone(await standIn())
    writeFileSync(
      join(dir, 'program.mjs'),
      `import { loadConfig, up, RefusedError } from ${JSON.stringify(join(ROOT, 'dist/index.js'))}
const [configFile, clone] = process.argv.slice(2)
const config = await loadConfig(configFile)
const ran = (await up({ url: clone, config, to: 'Q' })).steps.map((s) => s.id)
let refused = null
try { await up({ url: clone, config, to: 'R' }) } catch (error) { refused = { instance: error instanceof RefusedError, name: error.name, message: error.message } }
console.log(JSON.stringify({ ran, refused }))
`,
    )
    const { stdout } = await run(process.execPath, ['program.mjs', config, clone], { cwd: dir })
    assert.deepEqual(JSON.parse(stdout), {
      ran: ['P', 'Q'],
      refused: { instance: true, name: 'RefusedError', message: 'refused by stage R through a module it imports' },
    })
  })
})
