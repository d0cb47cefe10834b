import type { Command } from 'commander'
import { cliContext, output, PRODUCTION_DEFAULT, resolveUrl, type CommonOptions } from '../context.ts'
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
      // The saved file is read first: a missing or wrong file costs no connection.
      const { readSavedFingerprint, diffFingerprints } = await import('../../fingerprint/saved.ts')
      const saved = flags.compare ? await readSavedFingerprint(flags.compare) : undefined
      const url = await resolveUrl(ctx, flags.url, PRODUCTION_DEFAULT, 'production')
      const [{ fingerprintOf }, { fingerprintLines }] = await Promise.all([import('../../clone/clone.ts'), import('../format.ts')])
      const fp = await fingerprintOf(url, ctx.config.ratificationProposal)
      if (!saved) {
        output(ctx, fp, () => fingerprintLines(fp, `fingerprint of ${fp.db}`))
        return
      }
      const differ = diffFingerprints(saved, fp, flags.compare)
      output(ctx, { fingerprint: fp, differ }, () => [
        differ.length === 0 ? `identical to ${flags.compare}` : `differs from ${flags.compare} in: ${differ.join(', ')}`,
      ])
      if (differ.length > 0) throw new GovMigrateError(`the fingerprint differs from ${flags.compare} in ${differ.join(', ')}`, 'investigate what wrote to the database')
    })
}
