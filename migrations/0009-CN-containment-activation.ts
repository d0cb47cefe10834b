/**
 * Stage CN — containment activation (clone, finalization).
 *
 * The containment axis gets its coverage rule (every collection assigned to its group
 * and owned on the axis), one owner per collection (its group's), the fail-closed guard
 * (an unowned assignment is rejected), then one assignment per collection. One event per
 * group is logged; the scanner is re-run (idempotent).
 *
 * Expected (scale 1): rule_missing −1, drift_open −1, containment_required +35,
 * containment_assign +35, axis_own +35, event_log +5, scan_run +1; containment gap stays 0.
 * Down removes the guard, assignments, owners and rule.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import { MARK } from '../src/markers.ts'
import { createAssignmentOwnedGuard, dropAssignmentOwnedGuard } from '../src/pipeline/containment.ts'
import { logEvents, removeEvents } from '../src/pipeline/events.ts'
import { removeScanRuns, scan } from '../src/pipeline/scanner.ts'

export default defineMigration({
  id: 'CN',
  title: 'containment activation: coverage rule, owners, fail-closed assignments',
  tier: 'clone',
  expect: (s) => ({
    rule_missing: -1,
    drift_open: -1,
    containment_required: s.collections,
    containment_assign: s.collections,
    axis_own: s.collections,
    event_log: s.groups,
    scan_run: 1,
  }),

  async up({ db, note }) {
    await db
      .insertInto('axis_coverage_rule')
      .values({ axis_code: 'containment', required_object_kind: 'collection', rule: 'every collection assigned to its group and owned on the axis', created_by: MARK.cloneSeed })
      .execute()
    await db
      .insertInto('axis_object_ownership')
      .columns(['axis_code', 'object_kind', 'object_code', 'owner_ref', 'created_by'])
      .expression(
        db.selectFrom('governance_collection_containment').select((eb) => [
          eb.cast<string>(eb.val('containment'), 'text').as('axis_code'),
          eb.cast<string>(eb.val('collection'), 'text').as('object_kind'),
          'collection_name',
          eb.fn<string>('concat_ws', [eb.cast(eb.val(':'), 'text'), eb.cast(eb.val('owner'), 'text'), 'group_code']).as('owner_ref'),
          eb.cast<string>(eb.val(MARK.cloneSeed), 'text').as('created_by'),
        ]),
      )
      .execute()
    await createAssignmentOwnedGuard(db)
    await db
      .insertInto('axis_assignment')
      .columns(['axis_code', 'object_kind', 'object_code', 'value_code', 'created_by'])
      .expression(
        db.selectFrom('governance_collection_containment').select((eb) => [
          eb.cast<string>(eb.val('containment'), 'text').as('axis_code'),
          eb.cast<string>(eb.val('collection'), 'text').as('object_kind'),
          'collection_name',
          'group_code',
          eb.cast<string>(eb.val(MARK.cloneSeed), 'text').as('created_by'),
        ]),
      )
      .execute()
    const groups = await db.selectFrom('governance_group').select('group_code').orderBy('group_code').execute()
    await logEvents(db, 'CN', groups.map((g) => ({ eventType: 'gov.ownership.gap', subject: `${g.group_code}:containment-closed` })))
    const rerun = await scan(db, { ruleset: MARK.ruleset, runPrefix: MARK.scanRunPrefix, triggeredBy: 'CN' })
    note(`containment activated for ${groups.length} groups; ${rerun.runId}: ${rerun.newStates + rerun.newObjects} new candidates`)
  },

  async down({ db }) {
    await removeScanRuns(db, MARK.ruleset, 'CN')
    await removeEvents(db, 'CN')
    await dropAssignmentOwnedGuard(db)
    await db.deleteFrom('axis_assignment').where('axis_code', '=', 'containment').where('created_by', '=', MARK.cloneSeed).execute()
    await db.deleteFrom('axis_object_ownership').where('axis_code', '=', 'containment').where('created_by', '=', MARK.cloneSeed).execute()
    await db.deleteFrom('axis_coverage_rule').where('axis_code', '=', 'containment').execute()
  },
})
