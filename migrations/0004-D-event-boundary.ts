/**
 * Stage D — issue/event boundary (clone).
 *
 * Emit becomes fail-closed in the database: a trigger rejects marking an event of an
 * inactive type emitted. Then 20 simulated governance events are logged (one per
 * governance event type and containment group), none emittable. system_issues is
 * not touched.
 *
 * Expected: event_log +20 (scale N: +20N); gov_emit stays 0.
 * Down removes the marked events, the trigger and its function.
 */
import { sql } from 'kysely'
import { defineMigration } from '../src/migrator/migration.ts'
import { rejects } from '../src/verify/checks.ts'
import type { DB } from '../src/db/schema/0004-D.ts'
import { MARK } from '../src/markers.ts'
import { createEmitBoundary, dropEmitBoundary } from '../src/pipeline/boundary.ts'
import { removeEvents } from '../src/pipeline/events.ts'

export default defineMigration<DB>({
  id: 'D',
  title: 'issue/event boundary: emit fail-closed, 20 simulated events logged',
  tier: 'clone',
  expect: (s) => ({ event_log: 4 * s.groups }),

  async verify({ db }) {
    return [
      await rejects(db, 'emit of an inactive type', '23514',
        sql`update governance_event_log set emitted = true where id = (select min(id) from governance_event_log)`),
    ]
  },

  async up({ db }) {
    await createEmitBoundary(db)
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
            eb.cast<string>(eb.val(JSON.stringify({ stage: 'D', simulated: true })), 'jsonb').as('payload'),
            eb.cast<string>(eb.val(MARK.cloneSeed), 'text').as('created_by'),
          ])
          .orderBy('g.group_code')
          .orderBy('t.event_type'),
      )
      .execute()
  },

  async down({ db }) {
    await removeEvents(db, 'D')
    await dropEmitBoundary(db)
  },
})
