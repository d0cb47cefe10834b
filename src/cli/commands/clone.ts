import type { Command } from 'commander'
import { cliContext, output, parseStrategy, resolveAdmin, resolveProduction, resolveUrl, type CommonOptions } from '../context.ts'
import { createClone, dropClone } from '../../clone/clone.ts'
import { resetClone, snapshotClone } from '../../clone/snapshot.ts'
import { listClones } from '../../clone/list.ts'
import { redact } from '../../db/url.ts'
import { GovMigrateError } from '../../errors.ts'
import { abortOnSignals, dumpProgressRenderer } from '../progress.ts'

interface CreateFlags extends CommonOptions {
  from?: string
  name?: string
  strategy: string
}

function requireUrl(flags: CommonOptions, what: string): string {
  if (!flags.url) throw new GovMigrateError(`clone ${what} needs --url <clone url>`, 'name the clone explicitly with --url')
  return flags.url
}

export function registerClone(program: Command): void {
  const clone = program.command('clone').description('make, list, snapshot, reset and drop marked clones of production')

  clone
    .command('create')
    .description('clone --from <production url> on the same server and mark it')
    .option('--from <url>', 'production URL (only read; a read-only role does); default: productionUrl of kysely.config.ts, else the target server’s directus')
    .option('--name <name>', 'clone name, starting with directus_gov_test_ (default: directus_gov_test_<today>)')
    .option('--strategy <strategy>', 'template (no other client session on the source), dump (pg_dump | psql) or auto (template, else dump, saying why)', 'auto')
    .action(async (_: CreateFlags, command: Command) => {
      const flags = command.optsWithGlobals<CreateFlags>()
      const strategy = parseStrategy(flags.strategy)
      const ctx = await cliContext(flags)
      const from = await resolveProduction(ctx, flags.from, flags.url)
      const progress = dumpProgressRenderer()
      const abort = abortOnSignals()
      try {
        const info = await createClone({
          from,
          admin: resolveAdmin(ctx, flags.url, from),
          ...(flags.name ? { name: flags.name } : {}),
          proposal: ctx.config.ratificationProposal,
          strategy,
          onProgress: ctx.progress,
          onDumpProgress: progress.update,
          signal: abort.signal,
        })
        progress.end()
        output(ctx, { name: info.name, url: redact(info.url), source: info.source, role: info.role, strategy: info.strategy, ...(info.fallback ? { fallback: info.fallback } : {}), ms: info.ms }, () => [redact(info.url)])
      } finally {
        abort.dispose()
      }
    })

  clone
    .command('list')
    .description('every clone on the server: name, source, created, size, marker, executed stages')
    .action(async (_: CommonOptions, command: Command) => {
      const flags = command.optsWithGlobals<CommonOptions>()
      const ctx = await cliContext(flags)
      const url = await resolveUrl(ctx, flags.url, 'postgres')
      const rows = await listClones(url)
      output(ctx, rows, () =>
        rows.length === 0
          ? ['no clones']
          : rows.map((r) => `${r.name.padEnd(40)} from ${String(r.source).padEnd(12)} ${String(r.created).padEnd(21)} ${`${(r.bytes / 1024 / 1024).toFixed(0)} MB`.padStart(8)}  ${r.marker.padEnd(8)} ${r.stages.join(' ') || '(no stage)'}`),
      )
    })

  clone
    .command('snapshot')
    .description('keep a golden copy of a fresh clone (marked, never migrated) to reset from')
    .action(async (_: CommonOptions, command: Command) => {
      const flags = command.optsWithGlobals<CommonOptions>()
      const ctx = await cliContext(flags)
      const golden = await snapshotClone(requireUrl(flags, 'snapshot'))
      output(ctx, { golden }, () => [`golden snapshot ${golden}`])
    })

  clone
    .command('reset')
    .description('recreate the clone from its golden snapshot')
    .action(async (_: CommonOptions, command: Command) => {
      const flags = command.optsWithGlobals<CommonOptions>()
      const ctx = await cliContext(flags)
      const result = await resetClone(requireUrl(flags, 'reset'))
      output(ctx, result, () => [`reset ${result.name} from its golden snapshot (${result.ms} ms)`])
    })

  clone
    .command('drop')
    .description('drop a marked clone or golden snapshot (anything unmarked is refused)')
    .action(async (_: CommonOptions, command: Command) => {
      const flags = command.optsWithGlobals<CommonOptions>()
      const ctx = await cliContext(flags)
      const name = await dropClone(requireUrl(flags, 'drop'))
      output(ctx, { dropped: name }, () => [`dropped ${name}`])
    })
}
