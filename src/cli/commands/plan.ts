import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { checkUrl, cliContext, parseTo, cloneDefault, output, PRODUCTION_DEFAULT, resolveUrl, type CommonOptions } from '../context.ts'
import { GovMigrateError } from '../../errors.ts'

interface PlanFlags extends CommonOptions {
  to?: string
  down?: boolean
  clone?: string
  format: string
}

interface DiffFlags extends CommonOptions {
  from?: string
  to?: string
}

interface PacketFlags extends CommonOptions {
  clone?: string
  out: string
  receipt?: string
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('what up (or down) would do, in order: id, tier, sha256, gates, declared deltas and the SQL (changes nothing)')
    .option('--to <id>', 'stage or tier to stop at', parseTo)
    .option('--down', 'plan the revert instead')
    .option('--clone <url>', 'a marked clone to capture the SQL on, when the target is not one')
    .option('--format <format>', 'md, sql or json (--json means json)', 'md')
    .action(async (_: PlanFlags, command: Command) => {
      const flags = command.optsWithGlobals<PlanFlags>()
      if (!['md', 'sql', 'json'].includes(flags.format)) throw new GovMigrateError(`--format ${flags.format} is not known`, 'use --format md, sql or json')
      const ctx = await cliContext(flags)
      const url = await resolveUrl(ctx, flags.url, cloneDefault(), 'target')
      const clone = flags.clone ? checkUrl(flags.clone, 'clone', '--clone') : undefined
      const { plan, planMarkdown, planSql, planSummary } = await import('../../plan/plan.ts')
      const result = await plan({ url, config: ctx.config, ...(flags.to !== undefined ? { to: flags.to } : {}), ...(clone ? { clone } : {}), down: flags.down === true })
      if (flags.format === 'json' || ctx.json) output({ ...ctx, json: true }, { ...result, summary: planSummary(result.items) }, () => [])
      else process.stdout.write(flags.format === 'sql' ? planSql(result) : planMarkdown(result))
    })

  program
    .command('diff')
    .description('what a stage (or --from A --to LT) changes: the diff of the generated types, its SQL and rollback SQL, declared and measured deltas (rehearsed on a marked clone, rolled back)')
    .argument('[id]', 'the stage or tier')
    .option('--from <id>', 'first stage of a range of one track')
    .option('--to <id>', 'last stage of the range', parseTo)
    .action(async (id: string | undefined, _: DiffFlags, command: Command) => {
      const flags = command.optsWithGlobals<DiffFlags>()
      const from = id ?? flags.from
      if (!from || (id && flags.from)) throw new GovMigrateError('diff needs one stage: an id or --from', 'run `migrate diff AX` or `migrate diff --from A --to LT`')
      const ctx = await cliContext(flags)
      const url = await resolveUrl(ctx, flags.url, cloneDefault(), 'target')
      const { diff, diffMarkdown } = await import('../../plan/diff.ts')
      const result = await diff({ url, config: ctx.config, from, ...(flags.to ? { to: flags.to } : {}) })
      if (ctx.json) output(ctx, result, () => [])
      else process.stdout.write(diffMarkdown(result))
    })

  program
    .command('packet')
    .description('write the production rollout packet: tiers with SQL, gates, deltas, rollback, hashes, readiness matrix')
    .requiredOption('--out <file.md>', 'where to write the packet')
    .option('--clone <url>', 'a fresh marked clone of production (no stage applied) to rehearse the tiers on (default: a throwaway clone made and dropped for the packet)')
    .option('--receipt <file>', 'the receipt of the tiers\' rehearsal on a fresh clone of production: a tier\'s GO needs it; the packet embeds it')
    .action(async (_: PacketFlags, command: Command) => {
      const flags = command.optsWithGlobals<PacketFlags>()
      const ctx = await cliContext(flags)
      const productionUrl = await resolveUrl(ctx, flags.url, PRODUCTION_DEFAULT, 'production')
      const [{ packet }, { createClone, dropClone }, { redact }, { loadReceipt }, { fingerprintSettings }] = await Promise.all([
        import('../../plan/packet.ts'),
        import('../../clone/clone.ts'),
        import('../../db/url.ts'),
        import('../../migrator/receipt.ts'),
        import('../../config/load-config.ts'),
      ])
      const receipt = flags.receipt !== undefined ? await loadReceipt(flags.receipt) : undefined
      let cloneUrl = flags.clone ? checkUrl(flags.clone, 'clone', '--clone') : undefined
      let throwaway: string | undefined
      if (!cloneUrl) {
        // A clone the tiers can be rehearsed on must have no clone stage applied (two tracks):
        // the packet makes its own, so a clone used by `demo` or `up` never stands in the way.
        const made = await createClone({
          from: productionUrl,
          name: `${cloneDefault()}_packet_${Date.now().toString(36)}`,
          proposal: fingerprintSettings(ctx.config),
          onProgress: ctx.progress,
        })
        cloneUrl = throwaway = made.url
      }
      try {
        const result = await packet({ productionUrl, cloneUrl, config: ctx.config, ...(receipt ? { receipt } : {}) })
        await writeFile(flags.out, result.markdown)
        output(ctx, { out: flags.out, clone: redact(cloneUrl), ospa: result.ospa, readiness: result.readiness }, () => [
          `wrote ${flags.out} (tiers rehearsed on ${redact(cloneUrl)}${throwaway ? ', a throwaway clone, dropped' : ''})`,
          ...result.readiness.map((r) => `  ${r.id.padEnd(3)} ${r.verdict.padEnd(7)} ${r.reason}`),
        ])
      } finally {
        if (throwaway) await dropClone(throwaway)
      }
    })
}
