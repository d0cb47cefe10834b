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
import { sql } from 'kysely'
import { addDeltas, defineMigration, type StageUnit } from '../src/migrator/migration.ts'
import { check, rejects, triggerEnabled } from '../src/verify/checks.ts'
import type { StepMarks } from '../src/pipeline/finalization.ts'
import type { DB } from '../src/db/schema/0009-CN.ts'
import { MARK } from '../src/markers.ts'
import { removeScanRuns, rerunScanner } from '../src/pipeline/scanner.ts'
import { activateContainment, deactivateContainment } from '../src/pipeline/finalization.ts'

/** Containment activation, rows marked by `marks`: what T5 repeats on production. */
export function containmentActivation<S extends DB>(marks: StepMarks): StageUnit<S> {
  return {
    expect: (s) => ({
      rule_missing: -1,
      drift_open: -1,
      containment_required: s.collections,
      containment_assign: s.collections,
      axis_own: s.collections,
      event_log: s.groups,
    }),
    // Read (production too): the guard is in place and no containment assignment lacks an owner.
    async verify({ db }) {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from axis_assignment a
        where a.axis_code = 'containment' and not exists (
          select 1 from axis_object_ownership o where o.axis_code = a.axis_code and o.object_kind = a.object_kind and o.object_code = a.object_code)`.execute(db)
      return [await triggerEnabled(db, 'axis_assignment_owned', 'axis_assignment'), check('unowned containment assignments', 0, rows[0]?.n ?? -1)]
    },
    // An unowned assignment must be rejected: a fail-closed try (clones only; T5 carries it too).
    async tries({ db }) {
      return [
        await rejects(db, 'unowned containment assignment', '23503',
          sql`insert into axis_assignment (axis_code, object_kind, object_code, value_code, created_by)
              select 'containment', 'collection', 'verify-unowned', min(group_code), 'verify' from governance_group`),
      ]
    },
    async up({ db, note }) {
      note(await activateContainment(db, marks))
    },
    async down({ db }) {
      await deactivateContainment(db, marks)
    },
  }
}

const unit = containmentActivation<DB>({ stage: 'CN', createdBy: MARK.cloneSeed })

export default defineMigration<DB>({
  id: 'CN',
  title: 'containment activation: coverage rule, owners, fail-closed assignments',
  tier: 'clone',
  expect: (s) => addDeltas(unit.expect(s), { scan_run: 1 }),

  verify: (context) => unit.verify?.(context) ?? Promise.resolve([]),
  tries: (context) => unit.tries?.(context) ?? Promise.resolve([]),

  async up(context) {
    await unit.up(context)
    context.note(await rerunScanner(context.db, 'CN'))
  },

  async down(context) {
    await removeScanRuns(context.db, MARK.ruleset, 'CN')
    await unit.down(context)
  },
})
