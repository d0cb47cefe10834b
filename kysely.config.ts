import { defineConfig } from './src/config/define-config.ts'

export default defineConfig({
  migrationsDir: 'migrations',
  ratificationProposal: 'APR-BOOT-AUTHMODEL-1',
  lockTimeoutMs: 30_000,
  embedded: { port: 54329, dataDir: '.pg/data' },
})
