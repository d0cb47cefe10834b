import type { Command } from 'commander'
import { cliContext, output, PRODUCTION_DEFAULT, resolveUrl, type CommonOptions } from '../context.ts'
import { createClone, dropClone } from '../../clone/clone.ts'
import { redact } from '../../db/url.ts'
import { GovMigrateError } from '../../errors.ts'

interface CreateFlags extends CommonOptions {
  from?: string
  name?: string
}

interface DropFlags extends CommonOptions {
  yes?: boolean
}

export function registerClone(program: Command): void {
  const clone = program.command('clone').description('make, and drop, marked clones of production')

  clone
    .command('create')
    .description('clone --from <production url> on the same server and mark it')
    .option('--from <url>', 'production URL (only read); default: the target server’s directus')
    .option('--name <name>', 'clone name, starting with directus_gov_test_ (default: directus_gov_test_<today>)')
    .action(async (_: CreateFlags, command: Command) => {
      const flags = command.optsWithGlobals<CreateFlags>()
      const ctx = await cliContext(flags)
      const from = flags.from ?? (await resolveUrl(ctx, flags.url, PRODUCTION_DEFAULT))
      const info = await createClone({ from, ...(flags.name ? { name: flags.name } : {}), proposal: ctx.config.ratificationProposal, onProgress: ctx.progress })
      output(ctx, { name: info.name, url: redact(info.url), source: info.source }, () => [redact(info.url)])
    })

  clone
    .command('drop')
    .description('drop a marked clone (anything unmarked is refused)')
    .action(async (_: DropFlags, command: Command) => {
      const globals = command.optsWithGlobals<DropFlags>()
      const ctx = await cliContext(globals)
      if (!globals.url) throw new GovMigrateError('clone drop needs --url <clone url>', 'name the clone to drop explicitly with --url')
      const name = await dropClone(globals.url)
      output(ctx, { dropped: name }, () => [`dropped ${name}`])
    })
}
