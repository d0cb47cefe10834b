/**
 * Stage D — issue/event boundary (clone).
 *
 * Emit becomes fail-closed in the database: a trigger rejects marking an event of an
 * inactive type emitted. Then 20 simulated governance events are logged (one per
 * governance event type and containment group), none emittable. system_issues is
 * not touched.
 *
 * The unit (`eventBoundary`) is what T3 repeats on production. Its one parameter is where
 * the two differ: `simulate`, whether the simulated events are logged (D: yes; T3: no, the
 * boundary only).
 *
 * Expected: event_log +20 (scale N: +20N); gov_emit stays 0.
 * Down removes the marked events, the trigger and its function.
 */
import { sql } from 'kysely'
import { defineMigration, type Deltas, type StageUnit } from '../src/migrator/migration.ts'
import { rejects, triggerEnabled } from '../src/verify/checks.ts'
import type { DB } from '../src/db/schema/0004-D.ts'
import { narrow } from '../src/db/schema.ts'
import { MARK } from '../src/markers.ts'
import { createEmitBoundary, dropEmitBoundary } from '../src/pipeline/boundary.ts'
import { removeEvents } from '../src/pipeline/events.ts'

/**
 * The fail-closed emit boundary, then with `simulate` one simulated event per governance event
 * type and containment group, marked `createdBy` and with the stage `marks.stage` in its payload.
 */
export function eventBoundary<S extends DB>(marks: { stage: string; createdBy: string }, simulate: boolean): StageUnit<S> {
  return {
    expect: (s): Deltas => (simulate ? { event_log: 4 * s.groups } : {}),
    // Read (production too): the boundary's trigger is in place.
    async verify({ db }) {
      return [await triggerEnabled(db, 'gov_event_emit_guard', 'governance_event_log')]
    },
    // A write the boundary must reject: a fail-closed try (clones only). It needs a logged event to
    // try it on: without the simulation there is none (and logging one would move the log's
    // sequence), so there only the trigger is read, above.
    async tries({ db }) {
      if (!simulate) return []
      return [
        await rejects(db, 'emit of an inactive type', '23514',
          sql`update governance_event_log set emitted = true where id = (select min(id) from governance_event_log)`),
      ]
    },
    async up({ db: trx }) {
      const db = narrow<DB, S>(trx)
      await createEmitBoundary(db)
      if (!simulate) return
      await db
        .insertInto('governance_event_log')
        .columns(['event_type', 'subject', 'payload', 'created_by'])
        .expression(
          db
            .selectFrom('event_type_registry as t')
            .crossJoin('governance_group as g')
            .where('t.is_governance', '=', true)
            .select((eb) => [
              't.event_type',
              'g.group_code',
              eb.cast<string>(eb.val(JSON.stringify({ stage: marks.stage, simulated: true })), 'jsonb').as('payload'),
              eb.cast<string>(eb.val(marks.createdBy), 'text').as('created_by'),
            ])
            .orderBy('g.group_code')
            .orderBy('t.event_type'),
        )
        .execute()
    },
    async down({ db }) {
      if (simulate) await removeEvents(db, marks.stage, marks.createdBy)
      await dropEmitBoundary(db)
    },
  }
}

const unit = eventBoundary<DB>({ stage: 'D', createdBy: MARK.cloneSeed }, true)

export default defineMigration<DB>({
  id: 'D',
  title: 'issue/event boundary: emit fail-closed, 20 simulated events logged',
  tier: 'clone',
  expect: unit.expect,

  verify: (context) => unit.verify?.(context) ?? Promise.resolve([]),
  tries: (context) => unit.tries?.(context) ?? Promise.resolve([]),

  up: (context) => unit.up(context),
  down: (context) => unit.down(context),
})
