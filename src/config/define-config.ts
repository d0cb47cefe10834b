import { z } from 'zod'
import { DEFAULT_HEALTH_THRESHOLD_MS, GOVERNANCE_OBJECTS } from '../fingerprint/governance-objects.ts'

export const configSchema = z
  .object({
    /** Target database when neither `--url` nor `DATABASE_URL` is given. */
    url: z.string().url().optional(),
    /**
     * The production channel: only ever read (fingerprints, the dump source, gate readings).
     * A read-only role does; `--from` overrides it.
     */
    productionUrl: z.string().url().optional(),
    /**
     * The admin channel, on the same server: creates clones and their least-privilege roles
     * (its role needs CREATEDB and CREATEROLE). `--url` overrides it; without either, the
     * production URL's credentials are used.
     */
    adminUrl: z.string().url().optional(),
    /** Folder of migration files, relative to the config file. */
    migrationsDir: z.string().min(1).default('migrations'),
    /** Folder of the generated schema types, one file per migration (`npm run codegen`). */
    schemaDir: z.string().min(1).default('src/db/schema'),
    /** The proposal whose approvals open the production gate (ospa). */
    ratificationProposal: z.string().min(1).default('APR-BOOT-AUTHMODEL-1'),
    /** How long a run waits for another run's advisory lock before giving up. */
    lockTimeoutMs: z.number().int().positive().default(30_000),
    /**
     * The scanner's safety bound: the most candidates (states + objects) a clone ruleset
     * may hold (stage C writes it into the ruleset's max_candidates, and every scan of that
     * ruleset is refused, with nothing written, above it). Scale N holds 40N.
     */
    scanner: z
      .object({ maxCandidates: z.number().int().positive().default(1000) })
      .strict()
      .default({ maxCandidates: 1000 }),
    /**
     * Production tiers on production (not a marked clone) run only with a receipt of their
     * rehearsal on a fresh clone of production (`--receipt <file>`). A receipt given is always checked.
     */
    requireReceipt: z.boolean().default(false),
    /** How the production fingerprint is read. */
    fingerprint: z
      .object({
        /** The governance objects (tables, views, functions in `public`) whose definitions make up `schema_md5`. */
        governanceObjects: z.array(z.string().min(1)).min(1).default([...GOVERNANCE_OBJECTS]),
        /** A session idle in transaction (or holding locks in a transaction) longer than this is a health warning. */
        healthThresholdMs: z.number().int().positive().default(DEFAULT_HEALTH_THRESHOLD_MS),
      })
      .strict()
      .default({ governanceObjects: [...GOVERNANCE_OBJECTS], healthThresholdMs: DEFAULT_HEALTH_THRESHOLD_MS }),
    /** The zero-setup server used when no URL is given anywhere. */
    embedded: z
      .object({
        port: z
          .number()
          .int()
          .min(1024)
          .max(65535)
          .refine((port) => port !== 5432, 'must not be 5432, the port of a system PostgreSQL')
          .default(54329),
        dataDir: z.string().min(1).default('.pg/data'),
      })
      .strict()
      .default({ port: 54329, dataDir: '.pg/data' }),
  })
  .strict()

/** What a user writes in `kysely.config.ts`. */
export type MigrateConfigInput = z.input<typeof configSchema>
/** The validated configuration, defaults filled in. */
export type MigrateConfig = z.output<typeof configSchema>

/**
 * Types the configuration in `kysely.config.ts`; validation happens at load.
 *
 * ### Examples
 * ```ts
 * export default defineConfig({ embedded: { port: 54329, dataDir: '.pg/data' } })
 * ```
 */
export function defineConfig(config: MigrateConfigInput): MigrateConfigInput {
  return config
}
