import type { Command } from 'commander'
import { cliContext, output, parseScale, PRODUCTION_DEFAULT, resolveUrl, type CommonOptions } from '../context.ts'
import { confirmer } from '../confirm.ts'

interface FixtureFlags extends CommonOptions {
  scale: string
  bulk?: string
  yes?: boolean
}

export function registerFixture(program: Command): void {
  program
    .command('fixture')
    .description('create (or re-create) the production stand-in with the baseline of docs/pipeline.md')
    .option('--scale <n>', 'scale factor: 35N collections, 5N groups, 6 scopes', '1')
    .option('--bulk <size>', 'add organic bulk (application activity) until the database reaches this size: 1.2GB is 1.2 × 10⁹ bytes, 1GiB 2³⁰')
    .option('--yes', 're-create an existing stand-in without asking (needed without a terminal)')
    .action(async (_: FixtureFlags, command: Command) => {
      const flags = command.optsWithGlobals<FixtureFlags>()
      const ctx = await cliContext(flags)
      const scale = parseScale(flags.scale)
      const { parseSize } = await import('../../fixture/size.ts')
      const bulkBytes = flags.bulk ? parseSize(flags.bulk) : undefined
      // The stand-in is a database of its own: never the maintenance database, never a bare server URL.
      const url = await resolveUrl(ctx, flags.url, PRODUCTION_DEFAULT, 'production')
      const { createFixture } = await import('../../fixture/fixture.ts')
      const result = await createFixture({ url, scale, ...(bulkBytes ? { bulkBytes } : {}), onProgress: ctx.progress, confirm: confirmer(flags.yes) })
      output(ctx, result, () => [`${result.recreated ? 're-created' : 'created'} the stand-in ${result.database} at scale ${result.scale}`])
    })
}
