import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { cliContext, output, PRODUCTION_DEFAULT, resolveUrl, type CommonOptions } from '../context.ts'
import { fingerprintOf } from '../../clone/clone.ts'
import { diffFingerprints, type Fingerprint } from '../../fingerprint/fingerprint.ts'
import { fingerprintLines } from '../format.ts'
import { GovMigrateError } from '../../errors.ts'

interface FingerprintFlags extends CommonOptions {
  compare?: string
}

export function registerFingerprint(program: Command): void {
  program
    .command('fingerprint')
    .description('the production check through the read-only channel (READ ONLY, 5 s timeout, ≤ 500 rows)')
    .option('--compare <file>', 'a fingerprint saved with --json: name the keys that differ (exit 1 if any)')
    .action(async (_: FingerprintFlags, command: Command) => {
      const flags = command.optsWithGlobals<FingerprintFlags>()
      const ctx = await cliContext(flags)
      const url = await resolveUrl(ctx, flags.url, PRODUCTION_DEFAULT)
      const fp = await fingerprintOf(url, ctx.config.ratificationProposal)
      if (!flags.compare) {
        output(ctx, fp, () => fingerprintLines(fp, `fingerprint of ${fp.db}`))
        return
      }
      const saved = JSON.parse(await readFile(flags.compare, 'utf8')) as Fingerprint
      const differ = diffFingerprints(saved, fp)
      output(ctx, { fingerprint: fp, differ }, () => [
        differ.length === 0 ? `identical to ${flags.compare}` : `differs from ${flags.compare} in: ${differ.join(', ')}`,
      ])
      if (differ.length > 0) throw new GovMigrateError(`the fingerprint differs in ${differ.join(', ')}`, 'investigate what wrote to the database', {})
    })
}
