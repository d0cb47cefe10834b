/**
 * Tier T3 — production event boundary and worker cursor, inert (production-tier; ospa ≥ 1).
 *
 * Stages D and E's units for production, without their simulations: D's fail-closed emit
 * boundary with no simulated event (`simulate` = false), then E's monotonic cursor with
 * prod-worker's cursor inert (`batches` = 0: at watermark wm-0, nothing seen, no pass run).
 * gov_emit stays 0.
 *
 * Stop-gates: every governance event type inactive; no boundary yet.
 * Expected: cursor +1.
 * Down removes the cursor and both triggers.
 */
import { combineUnits, defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0103-T3.ts'
import { MARK } from '../src/markers.ts'
import { metricEquals, triggerPresent } from '../src/pipeline/gates.ts'
import { eventBoundary } from './0004-D-event-boundary.ts'
import { workerCursor } from './0005-E-worker-cursor.ts'

/** D's boundary then E's cursor, reverted in reverse. */
const unit = combineUnits<DB>(eventBoundary({ stage: 'T3', createdBy: MARK.productionSeed }, false), workerCursor(MARK.productionWorker, 0))

export default defineMigration<DB>({
  id: 'T3',
  title: 'production event boundary and worker cursor, inert (as D, E)',
  tier: 'production',
  ratificationProposal: 'APR-BOOT-AUTHMODEL-1',
  gates: [metricEquals('gov_active', () => 0, 'governance event types inactive'), triggerPresent('gov_event_emit_guard', 'governance_event_log', false)],
  expect: unit.expect,
  // D's and E's reads (the two triggers, the inert cursor) run on production too; E's try on clones.
  verify: (context) => unit.verify?.(context) ?? Promise.resolve([]),
  tries: (context) => unit.tries?.(context) ?? Promise.resolve([]),

  up: (context) => unit.up(context),
  down: (context) => unit.down(context),
})
