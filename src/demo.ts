import { fingerprintSettings, type LoadedConfig } from './config/load-config.ts'
import { createClone, isClone } from './clone/clone.ts'
import { fingerprintOf } from './fingerprint/read.ts'
import { createFixture, fixtureState } from './fixture/fixture.ts'
import { databaseOf, withDatabase } from './db/url.ts'
import { diffFingerprints, type Fingerprint, type FingerprintKey } from './fingerprint/fingerprint.ts'
import { up, type RunResult } from './migrator/migrator.ts'
import { status, type Status } from './migrator/status.ts'

export interface DemoOptions {
  /** The production stand-in (built when missing). */
  productionUrl: string
  /** The admin channel that makes and reaches the clone (default: the production URL's credentials). */
  adminUrl?: string
  cloneName: string
  config: LoadedConfig
  to?: string
  onProgress?: (line: string) => void
}

export interface DemoResult {
  entry: Fingerprint
  exit: Fingerprint
  /** Keys that differ between entry and exit (organic counts excluded); empty means identical. */
  differ: FingerprintKey[]
  clone: { url: string; created: boolean; fingerprint: Fingerprint }
  run: RunResult
  status: Status
}

/**
 * The walking skeleton end to end: stand-in (if missing), production fingerprint at
 * entry, marked clone (made once, then reused), stages up to `to` on the clone,
 * status, production fingerprint at exit. Idempotent.
 */
export async function demo(options: DemoOptions): Promise<DemoResult> {
  const { config, onProgress } = options
  const proposal = fingerprintSettings(config)
  const state = await fixtureState(options.productionUrl)
  if (state === 'absent') {
    await createFixture({ url: options.productionUrl, ...(onProgress ? { onProgress } : {}) })
  } else if (state === 'fixture') {
    onProgress?.(`using the existing stand-in ${databaseOf(options.productionUrl)}`)
  }
  const entry = await fingerprintOf(options.productionUrl, proposal)
  const cloneUrl = withDatabase(options.adminUrl ?? options.productionUrl, options.cloneName)
  const created = !(await isClone(cloneUrl))
  if (created) {
    await createClone({ from: options.productionUrl, ...(options.adminUrl ? { admin: options.adminUrl } : {}), name: options.cloneName, proposal, ...(onProgress ? { onProgress } : {}) })
  } else {
    onProgress?.(`reusing the marked clone ${options.cloneName}`)
  }
  const run = await up({ url: cloneUrl, config, to: options.to ?? 'A' })
  const cloneStatus = await status(cloneUrl, config)
  const cloneFingerprint = await fingerprintOf(cloneUrl, proposal)
  const exit = await fingerprintOf(options.productionUrl, proposal)
  return {
    entry,
    exit,
    differ: diffFingerprints(entry, exit),
    clone: { url: cloneUrl, created, fingerprint: cloneFingerprint },
    run,
    status: cloneStatus,
  }
}
