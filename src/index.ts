/**
 * gov-migrate as a library: the same operations as the CLI, without flags, printing or exit codes.
 * Failures are thrown as `GovMigrateError` (with `.fix`); a refusal (nothing ran) as `RefusedError`.
 *
 * ### Examples
 * ```ts
 * import { loadConfig, status, up } from 'gov-migrate'
 *
 * const config = await loadConfig()            // the nearest kysely.config.ts
 * const url = 'postgres://postgres@127.0.0.1:5432/directus_gov_test_20260602'
 * console.log((await status(url, config)).migrations.filter((m) => !m.applied).map((m) => m.id))
 * await up({ url, config, to: 'A' })
 * ```
 */
export { defineConfig, type MigrateConfig, type MigrateConfigInput } from './config/define-config.ts'
export { loadConfig, findConfig, parseConfig, type LoadedConfig } from './config/load-config.ts'
export { up, down, migrationsOf, type RunOptions, type RunResult, type StepEvent } from './migrator/migrator.ts'
export { status, type Status, type StatusRow } from './migrator/status.ts'
export { stages, type StageRow } from './migrator/stages.ts'
export { defineMigration, formatDeltas, type Deltas, type GovMigration } from './migrator/migration.ts'
export { plan, type Plan, type PlanItem, type PlanOptions } from './plan/plan.ts'
export { packet, type Packet, type PacketOptions } from './plan/packet.ts'
export { rehearse, latestRecord, type RehearseOptions, type RehearseRecord } from './rehearse/rehearse.ts'
export { verify, type VerifyResult, type Check } from './verify/verify.ts'
export { diffFingerprints, ORGANIC_KEYS, type Fingerprint, type FingerprintKey } from './fingerprint/fingerprint.ts'
export { createClone, dropClone, readMarker, defaultCloneName, type CloneInfo, type CloneStrategy, type CreateCloneOptions } from './clone/clone.ts'
export { fingerprintOf as fingerprint } from './fingerprint/read.ts'
export { listClones, type CloneRow } from './clone/list.ts'
export { snapshotClone, resetClone } from './clone/snapshot.ts'
export { createFixture } from './fixture/fixture.ts'
export { ensureEmbedded, stopEmbedded, type EmbeddedOptions } from './server/embedded.ts'
export { GovMigrateError, RefusedError, MigrationError } from './errors.ts'
