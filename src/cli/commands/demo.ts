import type { Command } from 'commander'
import { cliContext, parseTo, cloneDefault, output, PRODUCTION_DEFAULT, resolveUrl, type CommonOptions } from '../context.ts'
import { redact } from '../../db/url.ts'
import { GovMigrateError } from '../../errors.ts'

interface DemoFlags extends CommonOptions {
  name?: string
  to?: string
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('stand-in, marked clone, stage A on the clone, production proven unchanged')
    .option('--name <name>', 'clone name (default: directus_gov_test_<today>)')
    .option('--to <id>', 'stage to advance the clone to', parseTo, 'A')
    .action(async (_: DemoFlags, command: Command) => {
      const flags = command.optsWithGlobals<DemoFlags>()
      const ctx = await cliContext(flags)
      const productionUrl = await resolveUrl(ctx, flags.url, PRODUCTION_DEFAULT, 'production')
      const [{ demo }, { fingerprintPairLines, runLines, statusLines }] = await Promise.all([import('../../demo.ts'), import('../format.ts')])
      const result = await demo({
        productionUrl,
        cloneName: flags.name ?? cloneDefault(),
        config: ctx.config,
        ...(flags.to !== undefined ? { to: flags.to } : {}),
        onProgress: ctx.progress,
      })
      const { own, gap } = result.clone.fingerprint
      output(ctx, { ...result, clone: { ...result.clone, url: redact(result.clone.url) } }, () => [
        `clone ${redact(result.clone.url)} (${result.clone.created ? 'created' : 'reused'})`,
        ...runLines(result.run),
        '',
        ...statusLines(result.status),
        '',
        `clone numbers: own ${own}, gap ${gap}`,
        '',
        ...fingerprintPairLines(result.entry, result.exit, `production ${result.entry.db} (read-only)`),
        '',
        result.differ.length === 0
          ? 'production fingerprint at exit: identical to entry'
          : `production fingerprint at exit DIFFERS in: ${result.differ.join(', ')}`,
      ])
      if (result.differ.length > 0) {
        throw new GovMigrateError(`production changed during the run: ${result.differ.join(', ')}`, 'stop and investigate; the clone was the only write target')
      }
    })
}
