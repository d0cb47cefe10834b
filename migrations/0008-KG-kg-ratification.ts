/**
 * Stage KG — KG ratification (clone, finalization).
 *
 * The held candidate topic kg-domain-x (kg_provisional) becomes active (kg_ratified),
 * parented to registry-kg and projected. Its lifecycle (deprecate, merge, split) is
 * rehearsed inside a savepoint and rolled back: proven possible, never kept. Two events
 * (ratified, projected) are logged; the scanner is re-run (idempotent).
 *
 * Expected: topic_active +1, topic_candidate −1, event_log +2, scan_run +1.
 * Down returns kg-domain-x to its held candidate state.
 */
import { sql } from 'kysely'
import { defineMigration } from '../src/migrator/migration.ts'
import { MARK } from '../src/markers.ts'
import { GovMigrateError } from '../src/errors.ts'
import { logEvents, removeEvents } from '../src/pipeline/events.ts'
import { removeScanRuns, scan } from '../src/pipeline/scanner.ts'

const VALUE = 'kg-domain-x'

export default defineMigration({
  id: 'KG',
  title: 'KG ratification: kg-domain-x candidate to active, lifecycle rehearsed rollback-only',
  tier: 'clone',
  expect: () => ({ topic_active: 1, topic_candidate: -1, event_log: 2, scan_run: 1 }),

  async up({ db, note }) {
    const ratified = await db
      .updateTable('axis_value')
      .set({ status: 'active', provenance: 'kg_ratified', registry_code: 'registry-kg', parent_value: 'registry-kg', projected_at: new Date() })
      .where('axis_code', '=', 'topic')
      .where('value_code', '=', VALUE)
      .where('status', '=', 'candidate')
      .where('provenance', '=', 'kg_provisional')
      .executeTakeFirst()
    if (ratified.numUpdatedRows !== 1n) {
      throw new GovMigrateError(`${VALUE} is not a held kg_provisional candidate`, 'apply the axis substrate (AX) first')
    }

    // Lifecycle rehearsal: each operation for real, then rolled back to the savepoint.
    await sql`savepoint kg_lifecycle`.execute(db)
    const statusOf = async () =>
      (await db.selectFrom('axis_value').select('status').where('axis_code', '=', 'topic').where('value_code', '=', VALUE).executeTakeFirstOrThrow()).status
    await db.updateTable('axis_value').set({ status: 'deprecated' }).where('axis_code', '=', 'topic').where('value_code', '=', VALUE).execute()
    const deprecated = await statusOf()
    await db.updateTable('axis_value').set({ status: 'merged', parent_value: 'knowledge' }).where('axis_code', '=', 'topic').where('value_code', '=', VALUE).execute()
    const merged = await statusOf()
    await db
      .insertInto('axis_value')
      .values(['a', 'b'].map((part) => ({ axis_code: 'topic', value_code: `${VALUE}-${part}`, status: 'candidate', provenance: 'kg_split', parent_value: VALUE, created_by: MARK.cloneSeed })))
      .execute()
    await sql`rollback to savepoint kg_lifecycle`.execute(db)
    await sql`release savepoint kg_lifecycle`.execute(db)
    const after = await statusOf()
    if (deprecated !== 'deprecated' || merged !== 'merged' || after !== 'active') {
      throw new GovMigrateError(`the lifecycle rehearsal of ${VALUE} did not behave (${deprecated}, ${merged}, ${after})`, 'inspect axis_value')
    }

    await logEvents(db, 'KG', [
      { eventType: 'gov.candidate.created', subject: `${VALUE}:ratified` },
      { eventType: 'gov.candidate.created', subject: `${VALUE}:projected` },
    ])
    const rerun = await scan(db, { ruleset: MARK.ruleset, runPrefix: MARK.scanRunPrefix, triggeredBy: 'KG' })
    note(`${VALUE} ratified; deprecate/merge/split rehearsed and rolled back; ${rerun.runId}: ${rerun.newStates + rerun.newObjects} new candidates`)
  },

  async down({ db }) {
    await removeScanRuns(db, MARK.ruleset, 'KG')
    await removeEvents(db, 'KG')
    await db
      .updateTable('axis_value')
      .set({ status: 'candidate', provenance: 'kg_provisional', registry_code: null, parent_value: null, projected_at: null })
      .where('axis_code', '=', 'topic')
      .where('value_code', '=', VALUE)
      .execute()
  },
})
