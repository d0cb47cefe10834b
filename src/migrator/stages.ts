import { markdownTable } from 'markdown-table'
import type { LoadedConfig } from '../config/load-config.ts'
import type { Shape } from '../fingerprint/metrics.ts'
import type { Tier } from '../guard/guard.ts'
import { formatDeltas, type Deltas } from './migration.ts'
import { migrationsOf } from './load-migrations.ts'

/** The stand-in's substrate at scale 1 (DOMAIN.md). */
export const SCALE_1: Shape = { collections: 35, groups: 5, scopes: 6, eventTypes: 4 }

export interface StageRow {
  id: string
  name: string
  tier: Tier
  title: string
  expect: Deltas
}

/** Every migration in order with its declared deltas on `shape`, read from the files themselves. */
export async function stages(config: LoadedConfig, shape: Shape = SCALE_1): Promise<StageRow[]> {
  return (await migrationsOf(config)).map((m) => ({
    id: m.migration.id,
    name: m.name,
    tier: m.migration.tier,
    title: m.migration.title,
    expect: m.migration.expect(shape),
  }))
}

/** The stage table as Markdown (the README's is generated from this), its deltas declared at `scale`. */
export function stagesMarkdown(rows: readonly StageRow[], scale = 1): string {
  return markdownTable(
    [
      ['#', 'id', 'tier', 'what it does', `declared deltas (scale ${scale})`],
      ...rows.map((r, i) => [String(i + 1), `\`${r.id}\``, r.tier, r.title, formatDeltas(r.expect)]),
    ],
    { alignDelimiters: false },
  )
}
