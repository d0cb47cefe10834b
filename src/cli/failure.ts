import { CommanderError } from 'commander'
import { GovMigrateError, RefusedError, describe } from '../errors.ts'

/** Exit codes, documented in the README. */
export const EXIT = { ok: 0, failure: 1, refused: 3 } as const

/** A failure as the CLI reports it: one line on stderr, and with --json the same fields on stdout. */
export interface Failure {
  error: string
  fix: string
  exit: number
}

/** The command named on the command line (`clone create`, `up`, …), for a usage hint. */
function commandOf(argv: readonly string[], commands: readonly string[]): string {
  const words = argv.filter((a) => !a.startsWith('-'))
  for (const length of [2, 1]) {
    const candidate = words.slice(0, length).join(' ')
    if (commands.includes(candidate)) return candidate
  }
  return ''
}

/**
 * Maps anything thrown to what the user sees: the tool's own errors keep their
 * message and fix; commander's usage errors lose their "error: " prefix and point at
 * the command's help; anything else keeps its text, on one line.
 */
export function failureOf(error: unknown, argv: readonly string[] = [], commands: readonly string[] = []): Failure {
  if (error instanceof CommanderError) {
    const command = commandOf(argv, commands)
    // Commander shows the help when a command that only groups others is given none.
    if (error.code === 'commander.help') {
      return {
        error: command ? `\`migrate ${command}\` needs a subcommand` : 'no command given',
        fix: `name one; \`migrate ${command ? `${command} ` : ''}--help\` lists them`,
        exit: EXIT.failure,
      }
    }
    return {
      error: describe(error.message.replace(/^error: /, '')),
      fix: `see \`migrate ${command ? `${command} ` : ''}--help\` for the usage`,
      exit: error.exitCode === 0 ? EXIT.ok : EXIT.failure,
    }
  }
  if (error instanceof GovMigrateError) {
    return { error: describe(error.message), fix: error.fix, exit: error instanceof RefusedError ? EXIT.refused : EXIT.failure }
  }
  return {
    error: describe(error),
    fix: 'nothing the tool foresaw; run it again with MIGRATE_DEBUG=1 for the stack trace and report it',
    exit: EXIT.failure,
  }
}

/** The one line on stderr. */
export function failureLine(failure: Failure): string {
  return `migrate: ${failure.error} — fix: ${failure.fix}`
}
