/**
 * Tier T3 — production event boundary and worker cursor, inert (production-tier; ospa ≥ 1).
 *
 * Stages D and E for production, without their simulations: the fail-closed emit
 * boundary, the monotonic cursor, and prod-worker's cursor at watermark wm-0 with nothing
 * seen. No event is logged, no pass is run: gov_emit stays 0.
 *
 * Stop-gates: every governance event type inactive; no boundary yet.
 * Expected: cursor +1.
 * Down removes the cursor and both triggers.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0103-T3.ts'
import { MARK } from '../src/markers.ts'
import { createCursorMonotonic, createEmitBoundary, dropCursorMonotonic, dropEmitBoundary } from '../src/pipeline/boundary.ts'
import { metricEquals, triggerPresent } from '../src/pipeline/gates.ts'

export default defineMigration<DB>({
  id: 'T3',
  title: 'production event boundary and worker cursor, inert (as D, E)',
  tier: 'production',
  ratificationProposal: 'APR-BOOT-AUTHMODEL-1',
  gates: [metricEquals('gov_active', () => 0, 'governance event types inactive'), triggerPresent('gov_event_emit_guard', 'governance_event_log', false)],
  expect: () => ({ cursor: 1 }),

  async up({ db }) {
    await createEmitBoundary(db)
    await createCursorMonotonic(db)
    await db.insertInto('gov_worker_cursor').values({ worker_name: MARK.productionWorker, watermark: 'wm-0', last_event_id: 0, events_seen: 0 }).execute()
  },

  async down({ db }) {
    await db.deleteFrom('gov_worker_cursor').where('worker_name', '=', MARK.productionWorker).execute()
    await dropCursorMonotonic(db)
    await dropEmitBoundary(db)
  },
})
