import type { Command } from 'commander'
import { cliContext, cloneDefault, output, resolveUrl, type CommonOptions } from '../context.ts'
import { GovMigrateError } from '../../errors.ts'

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('the regression suite: assert the state the applied stages imply, fail-closed boundaries included (writes nothing); on production, read-only with the preflight')
    .action(async (_: CommonOptions, command: Command) => {
      const flags = command.optsWithGlobals<CommonOptions>()
      const ctx = await cliContext(flags)
      const url = await resolveUrl(ctx, flags.url, cloneDefault(), 'target')
      const [{ verify }, { verifyLines }] = await Promise.all([import('../../verify/verify.ts'), import('../format.ts')])
      const result = await verify(url, ctx.config)
      output(ctx, result, () => verifyLines(result))
      if (!result.ok) {
        const failed = result.checks.filter((c) => !c.ok).map((c) => c.name)
        throw new GovMigrateError(`verify failed: ${failed.join(', ')}`, result.production ? 'compare required and actual above; nothing was written' : 'compare expected and actual above; the clone is left as it is for inspection')
      }
    })
}
