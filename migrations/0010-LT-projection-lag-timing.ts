/**
 * Stage LT — projection-lag timing (clone, finalization).
 *
 * v_projection_lag_timing compares each collection's last change with its registry's
 * projection time: a real, timestamp-based lag detector. It replaces the six structural
 * placeholders inside v_drift_finding. One event per replaced placeholder is logged; the
 * scanner is re-run (idempotent).
 *
 * Expected (scale 1): lag_placeholder −6, lag_real +9 (the stand-in has nine collections
 * changed after their projection in every 35), drift_open +3, event_log +6, scan_run +1.
 * Down restores the placeholders and drops the detector.
 */
import { addDeltas, defineMigration, type StageUnit } from '../src/migrator/migration.ts'
import type { StepMarks } from '../src/pipeline/finalization.ts'
import type { DB } from '../src/db/schema/0010-LT.ts'
import { MARK } from '../src/markers.ts'
import { removeScanRuns, rerunScanner } from '../src/pipeline/scanner.ts'
import { timeProjectionLag, untimeProjectionLag, LAGGING_PER_35 } from '../src/pipeline/finalization.ts'

/** The projection-lag detector, rows marked by `marks`: what T5 repeats on production. */
export function projectionLagTiming<S extends DB>(marks: StepMarks): StageUnit<S> {
  return {
    expect: (s) => {
      const lagging = (s.collections / 35) * LAGGING_PER_35
      return { lag_placeholder: -6, lag_real: lagging, drift_open: lagging - 6, event_log: 6 }
    },
    async up({ db, note }) {
      note(await timeProjectionLag(db, marks))
    },
    async down({ db }) {
      await untimeProjectionLag(db, marks)
    },
  }
}

const unit = projectionLagTiming<DB>({ stage: 'LT', createdBy: MARK.cloneSeed })

export default defineMigration<DB>({
  id: 'LT',
  title: 'projection-lag timing: a timestamp-based detector replaces the placeholders',
  tier: 'clone',
  expect: (s) => addDeltas(unit.expect(s), { scan_run: 1 }),

  async up(context) {
    await unit.up(context)
    context.note(await rerunScanner(context.db, 'LT'))
  },

  async down(context) {
    await removeScanRuns(context.db, MARK.ruleset, 'LT')
    await unit.down(context)
  },
})
