import { Command, CommanderError } from 'commander'
import { GovMigrateError, RefusedError, describe } from '../errors.ts'
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

/** Exit codes, documented in the README. */
export const EXIT = { ok: 0, failure: 1, refused: 3 } as const

export function buildProgram(): Command {
  const program = new Command('migrate')
    .description('Advance the governance pipeline on a marked clone, stage by stage, reversibly.')
    .option('--url <url>', 'target database (else DATABASE_URL, else kysely.config.ts url, else the embedded server)')
    .option('--config <file>', 'configuration file', 'kysely.config.ts')
    .option('--json', 'machine-readable output')
    .showHelpAfterError(false)
    .exitOverride()
  for (const register of [registerDemo, registerFixture, registerClone, registerMigrate, registerVerify, registerRehearse, registerPlan, registerStages, registerFingerprint, registerServer]) {
    register(program)
  }
  program.commands.forEach(function propagate(command: Command): void {
    command.exitOverride()
    command.commands.forEach(propagate)
  })
  return program
}

/** Runs the CLI and returns the exit code; prints one line on failure. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' })
    return EXIT.ok
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.failure
    }
    const refused = error instanceof RefusedError
    const message = error instanceof GovMigrateError ? error.message : describe(error)
    const fix = error instanceof GovMigrateError ? error.fix : undefined
    process.stderr.write(`migrate: ${message}${fix ? ` — fix: ${fix}` : ''}\n`)
    // A program reading --json gets the error as JSON too (after any partial output).
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { message, fix: fix ?? null, refused } })}\n`)
    return refused ? EXIT.refused : EXIT.failure
  }
}
