import { readFile } from 'node:fs/promises'
import { GovMigrateError } from '../errors.ts'
import { compareFingerprints, diffFingerprints as diffLive, GOVERNANCE_KEYS, type Fingerprint, type FingerprintComparison, type FingerprintKey } from './fingerprint.ts'

const SAVE = (file: string) => `save one with \`migrate fingerprint --json --url <url> > ${file}\``

/** A fingerprint saved with `migrate fingerprint --json`, read and checked for shape. */
export async function readSavedFingerprint(file: string): Promise<Fingerprint> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new GovMigrateError(`--compare ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, SAVE(file), { cause: error })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new GovMigrateError(`--compare ${file} is not JSON (${error instanceof Error ? error.message : String(error)})`, SAVE(file), { cause: error })
  }
  const problem = shapeProblem(value)
  if (problem) throw new GovMigrateError(`--compare ${file} is not a saved fingerprint: ${problem}`, SAVE(file))
  return value as Fingerprint
}

/** Why a value is not a fingerprint, or null. Pure. */
export function shapeProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not an object'
  const record = value as Record<string, unknown>
  if (typeof record.db !== 'string') return 'it has no "db"'
  if (typeof record.schema_md5 !== 'string') return 'it has no "schema_md5"'
  // `health` holds the health reading's session lists (never compared).
  const wrong = Object.entries(record).filter(([key, v]) => key !== 'db' && key !== 'schema_md5' && key !== 'health' && typeof v !== 'number').map(([key]) => key)
  return wrong.length > 0 ? `not a count: ${wrong.join(', ')}` : null
}

/**
 * The governance keys whose values differ (organic and health readings are not compared); a
 * governance key the saved file lacks is an error, never a silent "identical".
 */
export function diffFingerprints(saved: Fingerprint, live: Fingerprint, file = 'the saved fingerprint'): FingerprintKey[] {
  const missing = GOVERNANCE_KEYS.filter((key) => !(key in saved))
  if (missing.length > 0) {
    throw new GovMigrateError(`${file} lacks ${missing.join(', ')} (saved by another version?)`, SAVE(file))
  }
  return diffLive(saved, live)
}

/** The three kinds of reading between a saved fingerprint and a live one, the saved file checked as above. */
export function compareSaved(saved: Fingerprint, live: Fingerprint, file = 'the saved fingerprint'): FingerprintComparison {
  diffFingerprints(saved, live, file)
  return compareFingerprints(saved, live)
}
