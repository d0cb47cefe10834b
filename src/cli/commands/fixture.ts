import type { Command } from 'commander'
import { cliContext, output, parseScale, PRODUCTION_DEFAULT, resolveUrl, type CommonOptions } from '../context.ts'
import { createFixture, parseSize } from '../../fixture/fixture.ts'

interface FixtureFlags extends CommonOptions {
  scale: string
  bulk?: string
}

export function registerFixture(program: Command): void {
  program
    .command('fixture')
    .description('create (or re-create) the production stand-in with the DOMAIN.md baseline')
    .option('--scale <n>', 'scale factor: 35N collections, 5N groups, 6 scopes', '1')
    .option('--bulk <size>', 'add organic bulk (application activity) until the database reaches this size, e.g. 1.2GB')
    .action(async (_: FixtureFlags, command: Command) => {
      const flags = command.optsWithGlobals<FixtureFlags>()
      const ctx = await cliContext(flags)
      const scale = parseScale(flags.scale)
      const url = await resolveUrl(ctx, flags.url, PRODUCTION_DEFAULT)
      const result = await createFixture({ url, scale, ...(flags.bulk ? { bulkBytes: parseSize(flags.bulk) } : {}), onProgress: ctx.progress })
      output(ctx, result, () => [`${result.recreated ? 're-created' : 'created'} the stand-in ${result.database} at scale ${result.scale}`])
    })
}
