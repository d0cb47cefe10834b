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
import { sql } from 'kysely'
import { defineMigration } from '../src/migrator/migration.ts'
import { check, rejects } from '../src/verify/checks.ts'
import type { DB } from '../src/db/schema/0005-E.ts'
import { MARK } from '../src/markers.ts'
import { createCursorMonotonic, dropCursorMonotonic } from '../src/pipeline/boundary.ts'
import { workerPass } from '../src/pipeline/worker.ts'

/** The worker's pass runs in this many batches; its watermark ends at `wm-<BATCHES>`. */
const BATCHES = 2

export default defineMigration<DB>({
  id: 'E',
  title: 'worker/cursor: one deterministic pass, monotonic cursor',
  tier: 'clone',
  expect: () => ({ cursor: 1 }),

  // The cursor saw every event logged up to this stage, and cannot move backwards.
  async verify({ db, implied }) {
    const cursor = await db.selectFrom('gov_worker_cursor').selectAll().where('worker_name', '=', MARK.worker).executeTakeFirst()
    return [
      check('cursor watermark', `wm-${BATCHES}`, cursor?.watermark ?? 'none'),
      check('cursor events_seen', implied.event_log ?? 0, cursor?.events_seen ?? 0),
      await rejects(db, 'cursor moved backwards', '23514',
        sql`update gov_worker_cursor set last_event_id = last_event_id - 1 where worker_name = ${MARK.worker}`),
    ]
  },

  async up({ db, note }) {
    await createCursorMonotonic(db)
    const pass = await workerPass(db, MARK.worker, BATCHES)
    note(`${MARK.worker}: ${pass.batches} batches, watermark ${pass.watermark ?? 'none'}, events_seen ${pass.eventsSeen}`)
  },

  async down({ db }) {
    await db.deleteFrom('gov_worker_cursor').where('worker_name', '=', MARK.worker).execute()
    await dropCursorMonotonic(db)
  },
})
