import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { cli, dropLater, markedClone, ROOT, serverUrl, standIn, uniqueName, type CliResult } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { withClient } from '../../src/db/database.ts'
import { ident, withDatabase } from '../../src/db/url.ts'

/** One line `migrate: <what> — fix: <what to do>` on stderr (besides `• ` progress lines), and the exit code. */
function oneLine(result: CliResult, code: number, what: RegExp): void {
  assert.equal(result.code, code, result.stderr)
  const lines = result.stderr.trim().split('\n').filter((line) => !line.startsWith('• '))
  assert.equal(lines.length, 1, result.stderr)
  assert.match(lines[0] ?? '', /^migrate: .+ — fix: .+$/)
  assert.match(lines[0] ?? '', what)
}

/** With --json, stdout is exactly one JSON document. */
function oneDocument(result: CliResult): Record<string, unknown> {
  return JSON.parse(result.stdout) as Record<string, unknown>
}

describe('one contract for output and errors', () => {
  it('--version prints the package version', async () => {
    const result = await cli(['--version'])
    assert.equal(result.code, 0)
    assert.equal(result.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version)
  })

  it('--version and --help with --json are one document', async () => {
    const version = oneDocument(await cli(['--version', '--json']))
    assert.deepEqual(version, { version: (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version })
    const help = oneDocument(await cli(['up', '--help', '--json']))
    assert.match(String(help.help), /^Usage: migrate up/)
  })

  it('a command that groups others, given none, is a usage error in one line (no help dump)', async () => {
    const bare = await cli([])
    oneLine(bare, 1, /^migrate: no command given — fix: name one; `migrate --help` lists them$/)
    assert.equal(bare.stdout, '')
    oneLine(await cli(['clone']), 1, /^migrate: `migrate clone` needs a subcommand — fix: name one; `migrate clone --help` lists them$/)
    assert.deepEqual(oneDocument(await cli(['server', '--json'])), { error: '`migrate server` needs a subcommand', fix: 'name one; `migrate server --help` lists them', exit: 1 })
  })

  it('--to that names nothing is bad input on every command that takes it, before anything connects or is refused', async () => {
    for (const args of [['up'], ['down'], ['plan'], ['diff', '--from', 'A'], ['rehearse'], ['demo']]) {
      for (const to of ['', '  ']) {
        // A URL that nothing answers: the flag is refused while parsing, before any connection.
        oneLine(await cli([...args, '--to', to, '--url', 'postgres://postgres@127.0.0.1:9/directus_gov_test_none']), 1, /^migrate: --to names no stage — fix: /)
      }
    }
  })

  it('a usage error is one line, and with --json one document', async () => {
    oneLine(await cli(['status', '--bogus']), 1, /unknown option '--bogus' — fix: see `migrate status --help`/)
    oneLine(await cli(['stats']), 1, /unknown command 'stats'/)
    const json = await cli(['status', '--bogus', '--json'])
    assert.deepEqual(oneDocument(json), { error: "unknown option '--bogus'", fix: 'see `migrate status --help` for the usage', exit: 1 })
  })

  it('bad URLs are one line before anything connects', async () => {
    oneLine(await cli(['fingerprint', '--url', 'notaurl']), 1, /--url notaurl is not a PostgreSQL URL/)
    const server = await serverUrl()
    oneLine(await cli(['status', '--url', withDatabase(server, 'postgres')]), 1, /names the maintenance database postgres/)
    oneLine(await cli(['fingerprint', '--url', server.replace(/\/postgres$/, '')]), 1, /names no database/)
  })

  it('a failing fingerprint --compare prints one document holding the result and the error', async () => {
    const clone = await markedClone(await standIn())
    const project = projectCopy()
    const file = join(project.dir, 'entry.json')
    writeFileSync(file, (await cli(['fingerprint', '--url', clone, '--json'])).stdout)
    assert.equal((await cli(['up', '--to', 'A', '--url', clone])).code, 0)
    const differs = await cli(['fingerprint', '--url', clone, '--compare', file, '--json'])
    const doc = oneDocument(differs)
    assert.equal(differs.code, 1)
    assert.equal(doc.exit, 1)
    assert.match(String(doc.error), /differs from .* in own, gap/)
    assert.deepEqual((doc.result as { differ: string[] }).differ, ['own', 'gap'])

    oneLine(await cli(['fingerprint', '--url', clone, '--compare', join(project.dir, 'missing.json')]), 1, /--compare .*missing\.json cannot be read \(ENOENT\)/)
    writeFileSync(file, '{}')
    oneLine(await cli(['fingerprint', '--url', clone, '--compare', file]), 1, /is not a saved fingerprint: it has no "db"/)
  })

  it('clone create from a database that is not production says so in one line', async () => {
    const server = await serverUrl()
    const empty = uniqueName('directus_empty')
    dropLater(empty)
    await withClient(server, (c) => c.query(`create database ${ident(empty)}`))
    const name = uniqueName('directus_gov_test_x')
    dropLater(name)
    oneLine(await cli(['clone', 'create', '--from', withDatabase(server, empty), '--name', name]), 1, new RegExp(`${empty} is not a production database`))
  })

  it('clone create whose source does not exist names the source and --from', async () => {
    const server = await serverUrl()
    const missing = uniqueName('directus_missing')
    const name = uniqueName('directus_gov_test_x')
    dropLater(name)
    oneLine(
      await cli(['clone', 'create', '--from', withDatabase(server, missing), '--name', name]),
      1,
      new RegExp(`^migrate: the source database "${missing}" does not exist — fix: pass --from <production URL>`),
    )
  })

  it('fixture refuses the maintenance database before anything connects', async () => {
    const server = await serverUrl()
    oneLine(await cli(['fixture', '--url', withDatabase(server, 'postgres')]), 1, /names the maintenance database postgres, not the production database/)
  })

  it('report takes --url or --from, never silently one of them', async () => {
    const server = await serverUrl()
    oneLine(await cli(['report', '--out', '/tmp/x', '--url', withDatabase(server, 'directus_gov_test_x'), '--from', withDatabase(server, 'directus')]), 1, /not both/)
  })
})

describe('stages', () => {
  it('--scale N is said and used, --md is Markdown, plain is a table, --json wins', async () => {
    const plain = await cli(['stages', '--scale', '10'])
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stdout, /scale 10/)
    assert.doesNotMatch(plain.stdout, /scale 1\b/)
    assert.match(plain.stdout, /own \+300, gap -2100/)
    assert.doesNotMatch(plain.stdout, /\| --- \|/)
    const md = await cli(['stages', '--md', '--scale', '10'])
    assert.match(md.stdout, /\| # \| id \| tier \| what it does \| declared deltas \(scale 10\) \|/)
    const json = oneDocument(await cli(['stages', '--md', '--json']))
    assert.equal(json.scale, 1)
    assert.equal((json.stages as unknown[]).length > 10, true)
  })
})

describe('configuration is found and checked', () => {
  it('from any subfolder of the project, the nearest kysely.config.ts up', async () => {
    const project = projectCopy({ upTo: '0001' })
    const deep = join(project.dir, 'migrations', 'deeper')
    mkdirSync(deep)
    const result = await cli(['stages', '--json'], { cwd: deep })
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual((oneDocument(result).stages as { id: string }[]).map((s) => s.id), ['A'])
  })

  it('a --config file that does not exist is an error', async () => {
    oneLine(await cli(['stages', '--config', '/nonexistent/kysely.config.ts']), 1, /the configuration file \/nonexistent\/kysely\.config\.ts does not exist/)
  })

  it('a syntax error is one line with file and line', async () => {
    const project = projectCopy({ upTo: '0001' })
    writeFileSync(project.config, `export default {\n  migrationsDir: 'migrations',,\n}\n`)
    oneLine(await cli(['stages', '--config', project.config]), 1, /kysely\.config\.ts:2:\d+: /)
  })
})
