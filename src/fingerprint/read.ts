import { openDatabase } from '../db/database.ts'
import { databaseOf } from '../db/url.ts'
import { GovMigrateError } from '../errors.ts'
import { readFingerprint, type Fingerprint, type FingerprintSettings } from './fingerprint.ts'

/** Reads a fingerprint through the read-only channel. */
export async function fingerprintOf(url: string, settings: string | FingerprintSettings): Promise<Fingerprint> {
  const { db, close } = openDatabase(url, { policy: 'any', readOnly: true, max: 1 })
  try {
    return await readFingerprint(db, settings)
  } catch (error) {
    // 42P01 undefined_table: a database without the production tables (postgres, an empty one).
    if ((error as { code?: string }).code === '42P01') {
      throw new GovMigrateError(
        `${databaseOf(url)} is not a production database (${error instanceof Error ? error.message : String(error)})`,
        'name the production database (e.g. …/directus), or build the stand-in with `migrate fixture`',
        { cause: error },
      )
    }
    throw error
  } finally {
    await close()
  }
}
