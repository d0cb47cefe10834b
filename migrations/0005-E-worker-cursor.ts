/**
 * Stage E — worker/cursor (clone).
 *
 * The cursor becomes monotonic in the database (a move backwards is rejected), then
 * one deterministic pass of clone-test-worker (no daemon) reads the event log in two
 * batches: cursor at watermark wm-2 with events_seen 20.
 *
 * The unit (`workerCursor`) is what T3 repeats on production. Its one parameter is where the
 * two differ: `batches`, the batches of the worker's pass (E: 2; T3: 0, an inert cursor
 * registered at wm-0 with nothing seen, no pass run).
 *
 * Expected: cursor +1.
 * Down removes the worker's cursor, the trigger and its function.
 */
import { sql } from 'kysely'
import { defineMigration, type StageUnit } from '../src/migrator/migration.ts'
import { check, rejects, triggerEnabled } from '../src/verify/checks.ts'
import type { DB } from '../src/db/schema/0005-E.ts'
import { narrow } from '../src/db/schema.ts'
import { MARK } from '../src/markers.ts'
import { createCursorMonotonic, dropCursorMonotonic } from '../src/pipeline/boundary.ts'
import { workerPass } from '../src/pipeline/worker.ts'

/**
 * The monotonic cursor, then `worker`'s cursor: one deterministic pass in `batches` batches
 * (watermark `wm-<batches>`), or with 0 batches an inert cursor at wm-0 that has seen nothing.
 */
export function workerCursor<S extends DB>(worker: string, batches: number): StageUnit<S> {
  return {
    expect: () => ({ cursor: 1 }),
    // Read (production too): the cursor saw every event logged up to this stage (an inert one
    // nothing), and the trigger that keeps it monotonic is in place ...
    async verify({ db, implied }) {
      const cursor = await narrow<DB, S>(db).selectFrom('gov_worker_cursor').selectAll().where('worker_name', '=', worker).executeTakeFirst()
      return [
        check('cursor watermark', `wm-${batches}`, cursor?.watermark ?? 'none'),
        check('cursor events_seen', batches === 0 ? 0 : (implied.event_log ?? 0), cursor?.events_seen ?? 0),
        await triggerEnabled(db, 'gov_worker_cursor_monotonic', 'gov_worker_cursor'),
      ]
    },
    // ... and it cannot move backwards (a fail-closed try, clones only).
    async tries({ db }) {
      return [
        await rejects(db, 'cursor moved backwards', '23514',
          sql`update gov_worker_cursor set last_event_id = last_event_id - 1 where worker_name = ${worker}`),
      ]
    },
    async up({ db: trx, note }) {
      const db = narrow<DB, S>(trx)
      await createCursorMonotonic(db)
      if (batches === 0) {
        await db.insertInto('gov_worker_cursor').values({ worker_name: worker, watermark: 'wm-0', last_event_id: 0, events_seen: 0 }).execute()
        note(`${worker}: inert cursor at wm-0`)
        return
      }
      const pass = await workerPass(db, worker, batches)
      note(`${worker}: ${pass.batches} batches, watermark ${pass.watermark ?? 'none'}, events_seen ${pass.eventsSeen}`)
    },
    async down({ db: trx }) {
      const db = narrow<DB, S>(trx)
      await db.deleteFrom('gov_worker_cursor').where('worker_name', '=', worker).execute()
      await dropCursorMonotonic(db)
    },
  }
}

/** The worker's pass runs in this many batches; its watermark ends at `wm-<BATCHES>`. */
const BATCHES = 2

const unit = workerCursor<DB>(MARK.worker, BATCHES)

export default defineMigration<DB>({
  id: 'E',
  title: 'worker/cursor: one deterministic pass, monotonic cursor',
  tier: 'clone',
  expect: unit.expect,

  verify: (context) => unit.verify?.(context) ?? Promise.resolve([]),
  tries: (context) => unit.tries?.(context) ?? Promise.resolve([]),

  up: (context) => unit.up(context),
  down: (context) => unit.down(context),
})
