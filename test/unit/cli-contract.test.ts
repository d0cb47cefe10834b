import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CommanderError } from 'commander'
import { failureLine, failureOf } from '../../src/cli/failure.ts'
import { checkUrl } from '../../src/cli/context.ts'
import { GovMigrateError, RefusedError } from '../../src/errors.ts'
import { loadErrorLine } from '../../src/loader/import-ts.ts'

describe('one line per failure, with its exit code', () => {
  const tree = { commands: ['clone', 'clone create', 'up'], valued: new Set(['--url', '--config', '--to']) }
  it('a usage error loses commander’s prefix and points at the command’s help', () => {
    const failure = failureOf(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--bogus'"), ['clone', 'create', '--bogus'], tree)
    assert.deepEqual(failure, { error: "unknown option '--bogus'", fix: 'see `migrate clone create --help` for the usage', exit: 1 })
    assert.equal(failureLine(failure), "migrate: unknown option '--bogus' — fix: see `migrate clone create --help` for the usage")
  })

  it('a command that groups others, given none, is named past the values of options before it', () => {
    const help = new CommanderError(1, 'commander.help', '(outputHelp)')
    assert.equal(failureOf(help, [], tree).error, 'no command given')
    assert.equal(failureOf(help, ['--url', 'postgres://x@h:9/d', 'clone'], tree).error, '`migrate clone` needs a subcommand')
    assert.equal(failureOf(help, ['--json', '--config', 'clone', 'clone'], tree).fix, 'name one; `migrate clone --help` lists them')
    assert.equal(failureOf(help, ['help', 'clone'], tree).error, '`migrate clone` needs a subcommand')
    assert.equal(failureOf(help, ['help', 'nosuch'], tree).error, "unknown command 'nosuch'")
  })

  it('refusals exit 3, the tool’s other errors 1, anything else 1 with a fix too', () => {
    assert.equal(failureOf(new RefusedError('refused: x', 'do y')).exit, 3)
    assert.deepEqual(failureOf(new GovMigrateError('bad\ninput', 'do z')), { error: 'bad input', fix: 'do z', exit: 1 })
    const raw = failureOf(new Error('relation "x" does not exist'))
    assert.equal(raw.exit, 1)
    assert.match(raw.fix, /MIGRATE_DEBUG=1/)
  })
})

describe('URLs are checked before anything connects', () => {
  it('refuses what is not a URL, a URL without a database and the maintenance database', () => {
    assert.throws(() => checkUrl('notaurl', 'production'), /--url notaurl is not a PostgreSQL URL/)
    assert.throws(() => checkUrl('http://x/y', 'production'), /is not a PostgreSQL URL/)
    assert.throws(() => checkUrl('postgres://u@h:1', 'clone'), /names no database — *|names no database/)
    assert.throws(() => checkUrl('postgres://u@h:1/postgres', 'production'), /names the maintenance database postgres, not the production database/)
    assert.equal(checkUrl('postgres://u@h:1/directus', 'production'), 'postgres://u@h:1/directus')
  })

  it('lets a server URL name any database, or none', () => {
    assert.equal(checkUrl('postgres://u@h:1', 'server'), 'postgres://u@h:1')
    assert.equal(checkUrl('postgres://u@h:1/postgres', 'server'), 'postgres://u@h:1/postgres')
  })

  it('never prints a password', () => {
    assert.throws(() => checkUrl('postgres://u:secret@h:1/postgres', 'clone'), (error: Error) => !error.message.includes('secret'))
  })
})

describe('a module that does not load names file and line', () => {
  it('from esbuild’s structured errors and from tsx’s message', () => {
    assert.equal(loadErrorLine({ errors: [{ text: 'Expected "}" but found end of file', location: { file: '/p/kysely.config.ts', line: 3, column: 0 } }] }), '/p/kysely.config.ts:3:1: Expected "}" but found end of file')
    assert.equal(loadErrorLine(new Error('Transform failed with 1 error:\n/p/kysely.config.ts:3:4: ERROR: Unexpected ")"')), '/p/kysely.config.ts:3:4: Unexpected ")"')
    assert.equal(loadErrorLine(new Error('boom\nstack')), 'boom')
  })
})
