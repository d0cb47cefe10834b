import { resolve } from 'node:path'
import type { Command } from 'commander'
import { cliContext, output, type CommonOptions } from '../context.ts'

export function registerServer(program: Command): void {
  const server = program.command('server').description('the embedded PostgreSQL 16 used when no URL is given')
  server
    .command('start')
    .description('start it (commands start it on demand too)')
    .action(async (_: CommonOptions, command: Command) => {
      const ctx = await cliContext(command.optsWithGlobals<CommonOptions>())
      const { ensureEmbedded } = await import('../../server/embedded.ts')
      const url = await ensureEmbedded({ dataDir: resolve(ctx.config.root, ctx.config.embedded.dataDir), port: ctx.config.embedded.port, onProgress: ctx.progress })
      output(ctx, { url }, () => [url])
    })
  server
    .command('stop')
    .description('stop it')
    .action(async (_: CommonOptions, command: Command) => {
      const ctx = await cliContext(command.optsWithGlobals<CommonOptions>())
      const { stopEmbedded } = await import('../../server/embedded.ts')
      const stopped = await stopEmbedded({ dataDir: resolve(ctx.config.root, ctx.config.embedded.dataDir), port: ctx.config.embedded.port })
      output(ctx, { stopped }, () => [stopped ? 'stopped' : 'not running'])
    })
}
