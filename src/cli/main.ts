import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, CommanderError } from 'commander'
import { EXIT, failureLine, failureOf, type CommandTree } from './failure.ts'
import { takeResult } from './context.ts'
import { registerClone } from './commands/clone.ts'
import { registerDemo } from './commands/demo.ts'
import { registerFingerprint } from './commands/fingerprint.ts'
import { registerFixture } from './commands/fixture.ts'
import { registerMigrate } from './commands/migrate.ts'
import { registerServer } from './commands/server.ts'
import { registerStages } from './commands/stages.ts'
import { registerPlan } from './commands/plan.ts'
import { registerRehearse } from './commands/rehearse.ts'
import { registerVerify } from './commands/verify.ts'

export { EXIT }

/** The version in the package.json above this file (src/cli/, or wherever the build put it under dist/). */
function version(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
    if (dir === dirname(dir)) return 'unknown'
  }
}

/**
 * The command tree. Registering a command declares its flags only: each command
 * imports its modules when it runs, so `--help` loads none of them.
 */
export function buildProgram(output: { writeOut?: (text: string) => void } = {}): Command {
  const program = new Command('migrate')
    .description('Advance the governance pipeline on a marked clone, stage by stage, reversibly.')
    .version(version(), '-V, --version', 'the version of gov-migrate')
    .option('--url <url>', 'target database (else DATABASE_URL, else kysely.config.ts url, else the embedded server)')
    .option('--config <file>', 'configuration file (default: the nearest kysely.config.ts from here up)')
    .option('--json', 'machine-readable output: exactly one JSON document on stdout, errors included')
    .showHelpAfterError(false)
    // Usage errors, and a missing command (commander's help on stderr), are reported by main() as
    // one line, like every other failure; --help and --version go to writeOut (kept for --json).
    .configureOutput({ outputError: () => undefined, writeErr: () => undefined, ...(output.writeOut ? { writeOut: output.writeOut } : {}) })
    .exitOverride()
  for (const register of [registerDemo, registerFixture, registerClone, registerMigrate, registerVerify, registerRehearse, registerPlan, registerStages, registerFingerprint, registerServer]) {
    register(program)
  }
  return program
}

/** Every command path (`up`, `clone create`, …) and every option that takes a value. */
function commandTree(program: Command): CommandTree {
  const all = [program, ...program.commands.flatMap((c) => [c, ...c.commands])]
  return {
    commands: program.commands.flatMap((c) => [c.name(), ...c.commands.map((s) => `${c.name()} ${s.name()}`)]),
    valued: new Set(all.flatMap((c) => c.options.filter((o) => o.required || o.optional).map((o) => o.long ?? ''))),
  }
}

/**
 * Runs the CLI and returns the exit code. Success with `--json`: the result as one
 * JSON document. Failure: one line `migrate: <what> — fix: <what to do>` on stderr,
 * and with `--json` one document `{ error, fix, exit, result? }` on stdout.
 */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json')
  // With --json, --help and --version are printed as one document too.
  let told = ''
  const program = buildProgram(json ? { writeOut: (text) => void (told += text) } : {})
  try {
    await program.parseAsync(argv, { from: 'user' })
    const result = takeResult()
    if (result) process.stdout.write(`${JSON.stringify(result.value, null, 2)}\n`)
    return EXIT.ok
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) {
      // --help, --version
      if (json) process.stdout.write(`${JSON.stringify(error.code === 'commander.version' ? { version: told.trim() } : { help: told }, null, 2)}\n`)
      return EXIT.ok
    }
    const failure = failureOf(error, argv, commandTree(program))
    process.stderr.write(`${failureLine(failure)}\n`)
    if (process.env.MIGRATE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`)
    if (json) {
      const result = takeResult()
      process.stdout.write(`${JSON.stringify({ ...failure, ...(result ? { result: result.value } : {}) }, null, 2)}\n`)
    }
    return failure.exit
  }
}
