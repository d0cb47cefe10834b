import type { Command } from 'commander'
import { checkUrl, cliContext, output, parseStrategy, resolveAdmin, resolveProduction, resolveUrl, type CommonOptions } from '../context.ts'
import { redact } from '../../db/url.ts'
import { GovMigrateError } from '../../errors.ts'
import { confirmer } from '../confirm.ts'

interface DestructiveFlags extends CommonOptions {
  yes?: boolean
}

interface CreateFlags extends CommonOptions {
  from?: string
  name?: string
  strategy: string
}

function requireUrl(flags: CommonOptions, what: string): string {
  if (!flags.url) throw new GovMigrateError(`clone ${what} needs --url <clone url>`, 'name the clone explicitly with --url')
  return checkUrl(flags.url, 'clone')
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
      // Without --from (or productionUrl) the source is the target server's directus: --url is the admin channel.
      const from = await resolveProduction(ctx, flags.from, flags.url)
      const [{ createClone }, { abortOnSignals, dumpProgressRenderer }, { fingerprintSettings }] = await Promise.all([
        import('../../clone/clone.ts'),
        import('../progress.ts'),
        import('../../config/load-config.ts'),
      ])
      const progress = dumpProgressRenderer()
      const abort = abortOnSignals()
      try {
        const info = await createClone({
          from,
          admin: resolveAdmin(ctx, flags.url, from),
          ...(flags.name ? { name: flags.name } : {}),
          proposal: fingerprintSettings(ctx.config),
          strategy,
          onProgress: ctx.progress,
          onDumpProgress: progress.update,
          signal: abort.signal,
        })
        progress.end()
        output(ctx, { name: info.name, url: redact(info.url), source: info.source, role: info.role, strategy: info.strategy, ...(info.fallback ? { fallback: info.fallback } : {}), ms: info.ms }, () => [redact(info.url)])
      } finally {
        // The renderer's timer must not outlive the dump (a failed clone included).
        progress.end()
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
      const [{ listClones }, { columns }, { formatBytes }] = await Promise.all([import('../../clone/list.ts'), import('../format.ts'), import('../../fixture/size.ts')])
      const rows = await listClones(url)
      output(ctx, rows, () =>
        rows.length === 0
          ? ['no clones']
          : columns([
              ['name', 'source', 'created', 'size', 'marker', 'stages'],
              ...rows.map((r) => [r.name, String(r.source), String(r.created), formatBytes(r.bytes), r.marker, r.stages.join(' ') || '(no stage)']),
            ]),
      )
    })

  clone
    .command('snapshot')
    .description('keep a golden copy of a fresh clone (marked, never migrated) to reset from')
    .option('--yes', 'replace an existing golden snapshot without asking (needed without a terminal)')
    .action(async (_: DestructiveFlags, command: Command) => {
      const flags = command.optsWithGlobals<DestructiveFlags>()
      const ctx = await cliContext(flags)
      const { snapshotClone } = await import('../../clone/snapshot.ts')
      const golden = await snapshotClone(requireUrl(flags, 'snapshot'), confirmer(flags.yes))
      output(ctx, { golden }, () => [`golden snapshot ${golden}`])
    })

  clone
    .command('reset')
    .description('recreate the clone from its golden snapshot')
    .option('--yes', 'drop and re-make the clone without asking (needed without a terminal)')
    .action(async (_: DestructiveFlags, command: Command) => {
      const flags = command.optsWithGlobals<DestructiveFlags>()
      const ctx = await cliContext(flags)
      const { resetClone } = await import('../../clone/snapshot.ts')
      const result = await resetClone(requireUrl(flags, 'reset'), confirmer(flags.yes))
      output(ctx, result, () => [`reset ${result.name} from its golden snapshot (${result.ms} ms)`])
    })

  clone
    .command('drop')
    .description('drop a marked clone or golden snapshot (anything unmarked is refused)')
    .option('--yes', 'drop without asking (needed without a terminal)')
    .action(async (_: DestructiveFlags, command: Command) => {
      const flags = command.optsWithGlobals<DestructiveFlags>()
      const ctx = await cliContext(flags)
      const { dropClone } = await import('../../clone/clone.ts')
      const name = await dropClone(requireUrl(flags, 'drop'), confirmer(flags.yes))
      output(ctx, { dropped: name }, () => [`dropped ${name}`])
    })
}
