import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import { checkUrl, cliContext, parseTo, cloneDefault, output, parseStrategy, PRODUCTION_DEFAULT, resolveAdmin, resolveProduction, resolveUrl, type CommonOptions } from '../context.ts'
import { withDatabase } from '../../db/url.ts'
import { GovMigrateError } from '../../errors.ts'

interface RehearseFlags extends CommonOptions {
  from?: string
  name?: string
  strategy: string
  reset?: boolean
  to?: string
}

interface ReportFlags extends CommonOptions {
  out: string
  from?: string
}

export function registerRehearse(program: Command): void {
  program
    .command('rehearse')
    .description('stage F in one command: entry fingerprint, clone (or reset), up with verify, down to 0 with verify, up again, exit fingerprint')
    .option('--from <url>', 'production URL (only read); default: the target server’s directus')
    .option('--name <name>', 'clone name (default: directus_gov_test_<today>)')
    .option('--strategy <strategy>', 'how to make the clone when it has no golden snapshot: auto, template or dump', 'auto')
    .option('--reset', 'reset (or re-make) the clone even when it has migrations applied; without it such a clone is refused')
    .option('--to <stage>', 'rehearse the clone stages up to this one (default: all); still up, down to 0 and the round-trip proofs', parseTo)
    .action(async (_: RehearseFlags, command: Command) => {
      const flags = command.optsWithGlobals<RehearseFlags>()
      const strategy = parseStrategy(flags.strategy)
      const ctx = await cliContext(flags)
      const productionUrl = await resolveProduction(ctx, flags.from, flags.url)
      const [{ rehearse }, { abortOnSignals, dumpProgressRenderer }] = await Promise.all([import('../../rehearse/rehearse.ts'), import('../progress.ts')])
      const progress = dumpProgressRenderer()
      const abort = abortOnSignals()
      const record = await rehearse({
        productionUrl,
        adminUrl: resolveAdmin(ctx, flags.url, productionUrl),
        cloneName: flags.name ?? cloneDefault(),
        config: ctx.config,
        strategy,
        reset: flags.reset === true,
        ...(flags.to !== undefined ? { to: flags.to } : {}),
        onProgress: ctx.progress,
        onDumpProgress: progress.update,
        signal: abort.signal,
        ...(ctx.json ? {} : { onStep: (s) => process.stdout.write(`${s.ok ? '✓' : '✗'} ${s.step}: ${s.detail}\n`) }),
      }).finally(() => {
        // The renderer's timer must not outlive the dump (a failed rehearsal included).
        progress.end()
        abort.dispose()
      })
      output(ctx, record, () => [`rehearsal ${record.verdict}: ${record.steps.length} steps (stages ${record.range ?? 'all'})`])
    })

  program
    .command('report')
    .description('write the evidence packet of the latest rehearsal on a clone: report.md and its JSON twin report.json')
    .requiredOption('--out <dir>', 'folder to write report.md and report.json into')
    .option('--from <url>', 'production URL, to find the default clone on its server (instead of --url <clone url>)')
    .action(async (_: ReportFlags, command: Command) => {
      const flags = command.optsWithGlobals<ReportFlags>()
      if (flags.url && flags.from) {
        throw new GovMigrateError('report takes --url <clone url> or --from <production url>, not both', 'name the clone with --url, or production with --from to use its server’s directus_gov_test_<today>')
      }
      const ctx = await cliContext(flags)
      const cloneUrl = flags.url
        ? checkUrl(flags.url, 'clone')
        : withDatabase(flags.from ? checkUrl(flags.from, 'production', '--from') : await resolveUrl(ctx, undefined, PRODUCTION_DEFAULT), cloneDefault())
      const [{ latestRecord }, { buildReport, reportMarkdown }] = await Promise.all([import('../../rehearse/rehearse.ts'), import('../../rehearse/report.ts')])
      const report = buildReport(await latestRecord(cloneUrl), new Date())
      await mkdir(flags.out, { recursive: true })
      await writeFile(join(flags.out, 'report.md'), reportMarkdown(report))
      await writeFile(join(flags.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`)
      output(ctx, { out: flags.out, verdict: report.record.verdict }, () => [`wrote ${join(flags.out, 'report.md')} and report.json (verdict ${report.record.verdict})`])
    })
}
