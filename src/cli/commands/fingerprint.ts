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
    .option('--compare <file>', 'a fingerprint saved with --json: name the governance keys that differ (exit 1 if any), organic counts old → new, health warnings')
    .action(async (_: FingerprintFlags, command: Command) => {
      const flags = command.optsWithGlobals<FingerprintFlags>()
      const ctx = await cliContext(flags)
      // The saved file is read first: a missing or wrong file costs no connection.
      const { readSavedFingerprint, compareSaved } = await import('../../fingerprint/saved.ts')
      const saved = flags.compare ? await readSavedFingerprint(flags.compare) : undefined
      const url = await resolveUrl(ctx, flags.url, PRODUCTION_DEFAULT, 'production')
      const [{ fingerprintOf }, { fingerprintLines }, { organicLines }, { fingerprintSettings }] = await Promise.all([
        import('../../fingerprint/read.ts'),
        import('../format.ts'),
        import('../../fingerprint/fingerprint.ts'),
        import('../../config/load-config.ts'),
      ])
      const fp = await fingerprintOf(url, fingerprintSettings(ctx.config))
      if (!saved) {
        output(ctx, fp, () => fingerprintLines(fp, `fingerprint of ${fp.db}`))
        return
      }
      const { governance: differ, organic, health } = compareSaved(saved, fp, flags.compare)
      output(ctx, { fingerprint: fp, differ, organic, health }, () => [
        differ.length === 0 ? `governance state identical to ${flags.compare ?? ''}` : `governance state differs from ${flags.compare ?? ''} in: ${differ.join(', ')}`,
        ...organicLines(organic).map((line) => `  organic: ${line}`),
        ...health.map((line) => `  ! health: ${line}`),
      ])
      if (differ.length > 0) throw new GovMigrateError(`the governance state differs from ${flags.compare ?? ''} in ${differ.join(', ')}`, 'investigate what wrote to the governance objects')
    })
}
