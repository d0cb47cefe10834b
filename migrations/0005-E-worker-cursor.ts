/**
 * Stage E — worker/cursor (clone).
 *
 * The cursor becomes monotonic in the database (a move backwards is rejected), then
 * one deterministic pass of clone-test-worker (no daemon) reads the event log in two
 * batches: cursor at watermark wm-2 with events_seen 20.
 *
 * Expected: cursor +1.
 * Down removes the worker's cursor, the trigger and its function.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0005-E.ts'
import { MARK } from '../src/markers.ts'
import { createCursorMonotonic, dropCursorMonotonic } from '../src/pipeline/boundary.ts'
import { workerPass } from '../src/pipeline/worker.ts'

export default defineMigration<DB>({
  id: 'E',
  title: 'worker/cursor: one deterministic pass, monotonic cursor',
  tier: 'clone',
  expect: () => ({ cursor: 1 }),

  async up({ db, note }) {
    await createCursorMonotonic(db)
    const pass = await workerPass(db, MARK.worker, 2)
    note(`${MARK.worker}: ${pass.batches} batches, watermark ${pass.watermark ?? 'none'}, events_seen ${pass.eventsSeen}`)
  },

  async down({ db }) {
    await db.deleteFrom('gov_worker_cursor').where('worker_name', '=', MARK.worker).execute()
    await dropCursorMonotonic(db)
  },
})
