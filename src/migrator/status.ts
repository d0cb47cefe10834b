import { openDatabase } from '../db/database.ts'
import type { LoadedConfig } from '../config/load-config.ts'
import { readShape, type Shape } from '../fingerprint/metrics.ts'
import { isMarkedClone, type Tier } from '../guard/guard.ts'
import { readLog } from './log-storage.ts'
import { historyProblems } from './history.ts'
import { migrationsOf } from './load-migrations.ts'
import type { Deltas } from './migration.ts'

export interface StatusRow {
  id: string
  name: string
  title: string
  tier: Tier
  applied: boolean
  appliedAt: string | null
  /**
   * Declared deltas evaluated on the target's substrate; for a tier applied on production, what
   * its up measured there (the log), which is what its receipt proved and its down will expect.
   */
  expect: Deltas
  expectFrom: 'declaration' | 'log'
  sha256: string
}

export interface Status {
  database: string
  /** A marked clone (clone stages apply) or not (production tiers only). */
  clone: boolean
  shape: Shape
  migrations: StatusRow[]
  /** Missing, edited or out-of-order applied migrations, by name. */
  problems: string[]
}

/** Applied and pending migrations; reads through the read-only channel and never writes. */
export async function status(url: string, config: LoadedConfig): Promise<Status> {
  // The migration files load while the database is read: the one waits on the network, the other on the CPU.
  const loading = migrationsOf(config)
  const { db, pool, close } = openDatabase(url, { policy: 'any', readOnly: true, max: 1 })
  const reading = db.transaction().setAccessMode('read only').execute(async (trx) => ({ log: await readLog(trx), shape: await readShape(trx) }))
  try {
    const [files, read] = await Promise.allSettled([loading, reading])
    // A migration that does not load is the error to report, whatever the database said.
    if (files.status === 'rejected') throw files.reason
    if (read.status === 'rejected') throw read.reason
    const loaded = files.value
    const { log, shape } = read.value
    const applied = new Map(log.map((entry) => [entry.name, entry]))
    const clone = pool.facts ? isMarkedClone(pool.facts) : false
    const logged = (m: (typeof loaded)[number]) => (!clone && m.migration.tier === 'production' ? applied.get(m.name)?.deltas : null) ?? null
    return {
      database: pool.facts?.database ?? '',
      clone,
      shape,
      migrations: loaded.map((m) => ({
        id: m.migration.id,
        name: m.name,
        title: m.migration.title,
        tier: m.migration.tier,
        applied: applied.has(m.name),
        appliedAt: applied.get(m.name)?.applied_at ?? null,
        expect: logged(m) ?? m.migration.expect(shape),
        expectFrom: logged(m) ? 'log' : 'declaration',
        sha256: m.sha256,
      })),
      problems: historyProblems(log, loaded),
    }
  } finally {
    await close()
  }
}
