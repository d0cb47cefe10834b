import type { Command } from 'commander'
import { cliContext, output, parseScale, type CommonOptions } from '../context.ts'
import { GovMigrateError } from '../../errors.ts'

interface NewFlags extends CommonOptions {
  tier: string
  title?: string
}

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

  program
    .command('new')
    .description('scaffold the next stage (or tier) of its track from the one template: header, gates, metrics, declared deltas, verify checks, typed up and down')
    .argument('<id>', 'the new stage id, e.g. NT (capitals and digits)')
    .option('--tier <tier>', 'clone or production', 'clone')
    .requiredOption('--title <text>', 'what the stage does, for a reviewer')
    .action(async (id: string, _: NewFlags, command: Command) => {
      const flags = command.optsWithGlobals<NewFlags>()
      if (flags.tier !== 'clone' && flags.tier !== 'production') throw new GovMigrateError(`--tier ${flags.tier} is not known`, 'use --tier clone or --tier production')
      const ctx = await cliContext(flags)
      const { newStage } = await import('../../migrator/scaffold.ts')
      const made = await newStage({ config: ctx.config, id, tier: flags.tier, title: flags.title ?? '' })
      output(ctx, made, () => [
        `wrote ${made.file}`,
        `wrote ${made.schemaFile} (the schema before it; \`npm run codegen\` regenerates it)`,
        'next: write up and down, then npm run codegen, migrate up --rehearse, migrate diff, migrate plan (README "Writing a stage")',
      ])
    })
}
