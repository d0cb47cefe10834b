import { defineConfig } from './src/config/define-config.ts'

export default defineConfig({
  migrationsDir: 'migrations',
  ratificationProposal: 'APR-BOOT-AUTHMODEL-1',
  lockTimeoutMs: 30_000,
  scanner: { maxCandidates: 1000 }, // the scanner's hard cap (scale N holds 40N candidates)
  // Two checkouts on one machine each need their own embedded port: MIGRATE_EMBEDDED_PORT=54331.
  embedded: { port: Number(process.env.MIGRATE_EMBEDDED_PORT ?? 54329), dataDir: '.pg/data' },
})
