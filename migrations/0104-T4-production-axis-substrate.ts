/**
 * Tier T4 — production axis/topic substrate (production-tier; ospa ≥ 1).
 *
 * Stage AX for production, rows marked PROD_F6_SEED_RATIFIED: the parallel axis_* tables,
 * three axes, mirrored responsibility ownership, coverage and drift views.
 *
 * Stop-gates: no axis table yet; the seed is in (gap 0).
 * Expected (scale 1): axis_tables +6, topic_active +7, topic_candidate +1, topic_assign +6,
 * axis_own +30, drift_open +41 (divergent +4, projection_gap +1, rule_missing +1,
 * lag_placeholder +6, quality +29).
 * Down drops the views and the tables.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0104-T4.ts'
import { MARK } from '../src/markers.ts'
import { axisSubstrate } from './0006-AX-axis-substrate.ts'
import { metricEquals } from '../src/pipeline/gates.ts'

const unit = axisSubstrate<DB>(MARK.productionSeed)

export default defineMigration<DB>({
  id: 'T4',
  title: 'production axis/topic substrate (as AX)',
  tier: 'production',
  ratificationProposal: 'APR-BOOT-AUTHMODEL-1',
  gates: [metricEquals('axis_tables', () => 0, 'no axis table yet'), metricEquals('gap', () => 0, 'the seed is in (gap 0)')],
  metrics: unit.metrics,
  expect: unit.expect,
  // AX's check (0 critical drift): it only reads, so production verify runs it after T4.
  verify: (context) => unit.verify?.(context) ?? Promise.resolve([]),

  up: (context) => unit.up(context),
  down: (context) => unit.down(context),
})
