import { openDatabase } from '../db/database.ts'
import type { LoadedConfig } from '../config/load-config.ts'
import { readShape, type Shape } from '../fingerprint/metrics.ts'
import { isMarkedClone, type Tier } from '../guard/guard.ts'
import { readLog } from './log-storage.ts'
import { historyProblems } from './history.ts'
import { migrationsOf } from './migrator.ts'
import type { Deltas } from './migration.ts'

export interface StatusRow {
  id: string
  name: string
  title: string
  tier: Tier
  applied: boolean
  appliedAt: string | null
  /** Declared deltas evaluated on the target's substrate. */
  expect: Deltas
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
  const loaded = await migrationsOf(config)
  const { db, pool, close } = openDatabase(url, { policy: 'any', readOnly: true, max: 1 })
  try {
    return await db.transaction().setAccessMode('read only').execute(async (trx) => {
      const log = await readLog(trx)
      const shape = await readShape(trx)
      const applied = new Map(log.map((entry) => [entry.name, entry]))
      return {
        database: pool.facts?.database ?? '',
        clone: pool.facts ? isMarkedClone(pool.facts) : false,
        shape,
        migrations: loaded.map((m) => ({
          id: m.migration.id,
          name: m.name,
          title: m.migration.title,
          tier: m.migration.tier,
          applied: applied.has(m.name),
          appliedAt: applied.get(m.name)?.applied_at ?? null,
          expect: m.migration.expect(shape),
          sha256: m.sha256,
        })),
        problems: historyProblems(log, loaded),
      }
    })
  } finally {
    await close()
  }
}
