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

/** What main() knows of the command tree: every command path, and every option that takes a value. */
export interface CommandTree {
  commands: readonly string[]
  /** `--url`, `--to`, …: the next word is their value, not a command. */
  valued: ReadonlySet<string>
}

/**
 * The command named on the command line (`clone create`, `up`, …), for a usage hint, and what
 * `migrate help <what>` asked for; option values (`--url <url>`) are no words.
 */
function commandOf(argv: readonly string[], { commands, valued }: CommandTree): { command: string; asked?: string } {
  const words = argv.filter((a, i) => !a.startsWith('-') && !valued.has(argv[i - 1] ?? ''))
  // `migrate help clone` asks for the help of `clone`.
  const help = words[0] === 'help'
  if (help) words.shift()
  for (const length of [2, 1]) {
    const candidate = words.slice(0, length).join(' ')
    if (commands.includes(candidate)) return { command: candidate }
  }
  return help && words[0] !== undefined ? { command: '', asked: words[0] } : { command: '' }
}

/**
 * Maps anything thrown to what the user sees: the tool's own errors keep their
 * message and fix; commander's usage errors lose their "error: " prefix and point at
 * the command's help; anything else keeps its text, on one line.
 */
export function failureOf(error: unknown, argv: readonly string[] = [], tree: CommandTree = { commands: [], valued: new Set() }): Failure {
  if (error instanceof CommanderError) {
    const { command, asked } = commandOf(argv, tree)
    // Commander shows the help when a command that only groups others is given none.
    if (error.code === 'commander.help') {
      // `migrate help <what>` for a command that does not exist shows the help too.
      if (asked !== undefined) return { error: `unknown command '${asked}'`, fix: 'see `migrate --help` for the commands', exit: EXIT.failure }
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
