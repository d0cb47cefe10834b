import * as z from '../zod.ts'
import { DEFAULT_HEALTH_THRESHOLD_MS, GOVERNANCE_OBJECTS } from '../fingerprint/governance-objects.ts'

const text = () => z.string().check(z.minLength(1))
const positiveInt = () => z.int().check(z.positive())

export const configSchema = z.strictObject({
  /** Target database when neither `--url` nor `DATABASE_URL` is given. */
  url: z.optional(z.url()),
  /**
   * The production channel: only ever read (fingerprints, the dump source, gate readings).
   * A read-only role does; `--from` overrides it.
   */
  productionUrl: z.optional(z.url()),
  /**
   * The admin channel, on the same server: creates clones and their least-privilege roles
   * (its role needs CREATEDB and CREATEROLE). `--url` overrides it; without either, the
   * production URL's credentials are used.
   */
  adminUrl: z.optional(z.url()),
  /** Folder of migration files, relative to the config file. */
  migrationsDir: z._default(text(), 'migrations'),
  /** Folder of the generated schema types, one file per migration (`npm run codegen`). */
  schemaDir: z._default(text(), 'src/db/schema'),
  /** The proposal whose approvals open the production gate (ospa). */
  ratificationProposal: z._default(text(), 'APR-BOOT-AUTHMODEL-1'),
  /** How long a run waits for another run's advisory lock before giving up. */
  lockTimeoutMs: z._default(positiveInt(), 30_000),
  /**
   * The scanner's safety bound: the most candidates (states + objects) a ruleset may hold.
   * Stage C (and T2 on production) writes it into its ruleset's max_candidates, and the
   * database refuses any statement that would leave the ruleset above it. Scale N holds 40N.
   */
  scanner: z._default(z.strictObject({ maxCandidates: z._default(positiveInt(), 1000) }), { maxCandidates: 1000 }),
  /** How the production fingerprint is read. */
  fingerprint: z._default(
    z.strictObject({
      /** The governance objects (tables, views, functions in `public`) whose definitions make up `schema_md5`. */
      governanceObjects: z._default(z.array(text()).check(z.minLength(1)), [...GOVERNANCE_OBJECTS]),
      /** A session idle in transaction (or holding locks in a transaction) longer than this is a health warning. */
      healthThresholdMs: z._default(positiveInt(), DEFAULT_HEALTH_THRESHOLD_MS),
    }),
    { governanceObjects: [...GOVERNANCE_OBJECTS], healthThresholdMs: DEFAULT_HEALTH_THRESHOLD_MS },
  ),
  /** The zero-setup server used when no URL is given anywhere. */
  embedded: z._default(
    z.strictObject({
      port: z._default(
        z.int().check(
          z.gte(1024),
          z.lte(65535),
          z.refine((port) => port !== 5432, 'must not be 5432, the port of a system PostgreSQL'),
        ),
        54329,
      ),
      dataDir: z._default(text(), '.pg/data'),
    }),
    { port: 54329, dataDir: '.pg/data' },
  ),
})

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
