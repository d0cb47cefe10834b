import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { cliContext, cloneDefault, output, PRODUCTION_DEFAULT, resolveUrl, type CommonOptions } from '../context.ts'
import { plan, planMarkdown, planSql } from '../../plan/plan.ts'
import { packet } from '../../plan/packet.ts'
import { withDatabase } from '../../db/url.ts'
import { GovMigrateError } from '../../errors.ts'

interface PlanFlags extends CommonOptions {
  to?: string
  down?: boolean
  clone?: string
  format: string
}

interface PacketFlags extends CommonOptions {
  clone?: string
  out?: string
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('what up (or down) would do, in order: id, tier, sha256, gates, declared deltas and the SQL (changes nothing)')
    .option('--to <id>', 'stage or tier to stop at')
    .option('--down', 'plan the revert instead')
    .option('--clone <url>', 'a marked clone to capture the SQL on, when the target is not one')
    .option('--format <format>', 'md, sql or json', 'md')
    .action(async (_: PlanFlags, command: Command) => {
      const flags = command.optsWithGlobals<PlanFlags>()
      if (!['md', 'sql', 'json'].includes(flags.format)) throw new GovMigrateError(`--format ${flags.format} is not known`, 'use --format md, sql or json')
      const ctx = await cliContext(flags)
      const url = await resolveUrl(ctx, flags.url, cloneDefault())
      const result = await plan({ url, config: ctx.config, ...(flags.to !== undefined ? { to: flags.to } : {}), ...(flags.clone ? { clone: flags.clone } : {}), down: flags.down === true })
      if (flags.format === 'json' || ctx.json) output({ ...ctx, json: true }, result, () => [])
      else process.stdout.write(flags.format === 'sql' ? planSql(result) : planMarkdown(result))
    })

  program
    .command('packet')
    .description('write the production rollout packet: tiers with SQL, gates, deltas, rollback, hashes, readiness matrix')
    .requiredOption('--out <file.md>', 'where to write the packet')
    .option('--clone <url>', 'a fresh marked clone of production to rehearse the tiers on (default: directus_gov_test_<today>)')
    .action(async (_: PacketFlags, command: Command) => {
      const flags = command.optsWithGlobals<PacketFlags>()
      const ctx = await cliContext(flags)
      const productionUrl = await resolveUrl(ctx, flags.url, PRODUCTION_DEFAULT)
      const cloneUrl = flags.clone ?? withDatabase(productionUrl, cloneDefault())
      const result = await packet({ productionUrl, cloneUrl, config: ctx.config })
      await writeFile(flags.out ?? 'packet.md', result.markdown)
      output(ctx, { out: flags.out, ospa: result.ospa, readiness: result.readiness }, () => [
        `wrote ${flags.out ?? ''}`,
        ...result.readiness.map((r) => `  ${r.id.padEnd(3)} ${r.verdict.padEnd(7)} ${r.reason}`),
      ])
    })
}
