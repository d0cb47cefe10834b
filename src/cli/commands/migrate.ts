import type { Command } from 'commander'
import type { StepEvent } from '../../migrator/migrator.ts'
import { cliContext, parseTo, cloneDefault, output, resolveUrl, type CommonOptions } from '../context.ts'
import { GovMigrateError } from '../../errors.ts'

interface RunFlags extends CommonOptions {
  to?: string
  receipt?: string
  activateEmit?: boolean
  rehearse?: boolean
}

export function registerMigrate(program: Command): void {
  program
    .command('up')
    .description('apply pending migrations up to --to (default: the last clone stage; production tiers only by --to)')
    .option('--to <id>', 'stage or tier id to stop at, e.g. A or T1', parseTo)
    .option('--activate-emit', 'the explicit decision emit activation (T6) needs besides ospa ≥ 1')
    .option('--rehearse', 'run for real in one transaction, round trip included, then roll back (marked clones only)')
    .option('--receipt <file>', 'with --rehearse on a fresh clone of production: write the receipt of the tiers; on production (required there): run only what that receipt proved')
    .action(async (_: RunFlags, command: Command) => {
      const flags = command.optsWithGlobals<RunFlags>()
      const ctx = await cliContext(flags)
      const url = await resolveUrl(ctx, flags.url, cloneDefault(), 'target')
      const [{ up }, { runLines }, { loadReceipt, rehearseWithReceipt }] = await Promise.all([
        import('../../migrator/migrator.ts'),
        import('../format.ts'),
        import('../../migrator/receipt.ts'),
      ])
      const options = {
        url,
        config: ctx.config,
        ...(flags.to !== undefined ? { to: flags.to } : {}),
        activateEmit: flags.activateEmit === true,
        rehearse: flags.rehearse === true,
        ...(ctx.json ? {} : { onEvent: (e: StepEvent) => process.stderr.write(`• ${e.direction} ${e.id}: ${e.title}\n`) }),
      }
      if (flags.receipt !== undefined && flags.rehearse === true) {
        const { run, receipt } = await rehearseWithReceipt({ ...options, receiptFile: flags.receipt })
        output(ctx, { ...run, receipt }, () => [...runLines(run), `receipt written to ${flags.receipt ?? ''}: ${receipt.tiers.map((t) => t.id).join(', ')} proved on ${receipt.clone}`])
        return
      }
      const receipt = flags.receipt !== undefined ? await loadReceipt(flags.receipt) : undefined
      const result = await up({ ...options, ...(receipt ? { receipt } : {}) })
      output(ctx, result, () => [...runLines(result), ...(receipt ? [`bound to the receipt ${receipt.file} (sha256 ${receipt.sha256})`] : [])])
    })

  program
    .command('down')
    .description('revert the last migration, or all after --to <id>, or all with --to 0')
    .option('--to <id>', 'stage id to go back to (it stays applied), or 0 for everything', parseTo)
    .option('--rehearse', 'run for real in one transaction, round trip included, then roll back (marked clones only)')
    .action(async (_: RunFlags, command: Command) => {
      const flags = command.optsWithGlobals<RunFlags>()
      const ctx = await cliContext(flags)
      const url = await resolveUrl(ctx, flags.url, cloneDefault(), 'target')
      const [{ down }, { runLines }] = await Promise.all([import('../../migrator/migrator.ts'), import('../format.ts')])
      const result = await down({ url, config: ctx.config, ...(flags.to !== undefined ? { to: flags.to } : {}), rehearse: flags.rehearse === true })
      output(ctx, result, () => runLines(result))
    })

  program
    .command('status')
    .description('applied and pending migrations with their declared deltas (read-only)')
    .action(async (_: CommonOptions, command: Command) => {
      const flags = command.optsWithGlobals<CommonOptions>()
      const ctx = await cliContext(flags)
      const url = await resolveUrl(ctx, flags.url, cloneDefault(), 'target')
      const [{ status }, { statusLines }] = await Promise.all([import('../../migrator/status.ts'), import('../format.ts')])
      const result = await status(url, ctx.config)
      output(ctx, result, () => statusLines(result))
      if (result.problems.length > 0) {
        throw new GovMigrateError(`the migration history does not match the files: ${result.problems.join('; ')}`, 'restore the applied files exactly as they were applied (git checkout)')
      }
    })
}
