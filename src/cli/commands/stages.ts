import type { Command } from 'commander'
import { cliContext, output, parseScale, type CommonOptions } from '../context.ts'

interface StagesFlags extends CommonOptions {
  scale: string
  md?: boolean
}

export function registerStages(program: Command): void {
  program
    .command('stages')
    .description('the stages in order with id, tier, what each does and its declared deltas (reads no database)')
    .option('--scale <n>', 'evaluate the declared deltas at scale N', '1')
    .option('--md', 'as a Markdown table (--json: as JSON)')
    .action(async (_: StagesFlags, command: Command) => {
      const flags = command.optsWithGlobals<StagesFlags>()
      const n = parseScale(flags.scale)
      const ctx = await cliContext(flags)
      const [{ SCALE_1, stages, stagesMarkdown }, { columns }, { formatDeltas }] = await Promise.all([
        import('../../migrator/stages.ts'),
        import('../format.ts'),
        import('../../migrator/migration.ts'),
      ])
      const rows = await stages(ctx.config, { ...SCALE_1, collections: SCALE_1.collections * n, groups: SCALE_1.groups * n })
      if (flags.md && !ctx.json) {
        process.stdout.write(`${stagesMarkdown(rows, n)}\n`)
        return
      }
      output(ctx, { scale: n, stages: rows }, () => [
        `stages, declared deltas at scale ${n}`,
        ...columns([['#', 'id', 'tier', 'what it does', 'declared deltas'], ...rows.map((r, i) => [String(i + 1), r.id, r.tier, r.title, formatDeltas(r.expect)])]),
      ])
    })
}
