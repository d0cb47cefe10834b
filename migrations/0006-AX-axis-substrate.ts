/**
 * Stage AX — axis/topic substrate (clone).
 *
 * Parallel axis_* tables (never an ALTER of governance_object_ownership) with three axes:
 * - responsibility (structural): its ownership mirrored from the 30 group anchors, coverage
 *   rule "every (collection, scope) pair owned": 210 pairs covered, gap 0;
 * - topic (descriptive): 7 active values, one per registry plus governance; the 6 topic
 *   tags the application set become assignments; candidate kg-domain-x (kg_provisional), held;
 * - containment (structural): registered with one value per group, 0 assignments, no rule.
 * Then v_axis_coverage and v_drift_finding over real rows, and an idempotent scanner re-run.
 *
 * Expected (scale 1): axis_tables +6, topic_active +7, topic_candidate +1, topic_assign +6,
 * axis_own +30, drift_open +41 (divergent +4, projection_gap +1, rule_missing +1,
 * lag_placeholder +6, quality +29), scan_run +1.
 * Down drops the views and tables and removes the re-run.
 */
import { addDeltas, defineMigration, type StageUnit } from '../src/migrator/migration.ts'
import { check } from '../src/verify/checks.ts'
import type { DB } from '../src/db/schema/0006-AX.ts'
import { MARK } from '../src/markers.ts'
import { rerunScanner, removeScanRuns } from '../src/pipeline/scanner.ts'
import { createAxisSubstrate, dropAxisSubstrate, substrateDeltas } from '../src/pipeline/axis-substrate.ts'

/** The substrate, its rows marked `createdBy`: what T4 repeats on production. */
export function axisSubstrate<S extends DB>(createdBy: string): StageUnit<S> {
  return {
    expect: substrateDeltas,
    async up({ db }) {
      await createAxisSubstrate(db, createdBy)
    },
    async down({ db }) {
      await dropAxisSubstrate(db)
    },
  }
}

const unit = axisSubstrate<DB>(MARK.cloneSeed)

export default defineMigration<DB>({
  id: 'AX',
  title: 'axis/topic substrate: parallel axis tables, three axes, drift view',
  tier: 'clone',
  expect: (s) => addDeltas(unit.expect(s), { scan_run: 1 }),

  async verify({ actual }) {
    return [check('critical drift', 0, actual.drift_critical ?? 0)]
  },

  async up(context) {
    await unit.up(context)
    context.note(await rerunScanner(context.db, 'AX'))
  },

  async down(context) {
    await removeScanRuns(context.db, MARK.ruleset, 'AX')
    await unit.down(context)
  },
})
