import type { Command } from 'commander'
import { cliContext, output, parseScale, type CommonOptions } from '../context.ts'
import { SCALE_1, stages, stagesMarkdown } from '../../migrator/stages.ts'

interface StagesFlags extends CommonOptions {
  scale: string
  md?: boolean
}

export function registerStages(program: Command): void {
  program
    .command('stages')
    .description('the stages in order with id, tier, what each does and its declared deltas (reads no database)')
    .option('--scale <n>', 'evaluate the declared deltas at scale N', '1')
    .option('--md', 'as a Markdown table')
    .action(async (_: StagesFlags, command: Command) => {
      const flags = command.optsWithGlobals<StagesFlags>()
      const ctx = await cliContext(flags)
      const n = parseScale(flags.scale)
      const rows = await stages(ctx.config, { ...SCALE_1, collections: SCALE_1.collections * n, groups: SCALE_1.groups * n })
      if (flags.md) {
        process.stdout.write(`${stagesMarkdown(rows)}\n`)
        return
      }
      output(ctx, rows, () => stagesMarkdown(rows).split('\n'))
    })
}
