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
import { sql } from 'kysely'
import { defineMigration } from '../src/migrator/migration.ts'
import { MARK } from '../src/markers.ts'
import { createDriftView, DRIFT_FACET_AWARE, DRIFT_TIMED } from '../src/pipeline/drift-view.ts'
import { logEvents, removeEvents } from '../src/pipeline/events.ts'
import { removeScanRuns, scan } from '../src/pipeline/scanner.ts'

const LAGGING_PER_35 = 9

export default defineMigration({
  id: 'LT',
  title: 'projection-lag timing: a timestamp-based detector replaces the placeholders',
  tier: 'clone',
  expect: (s) => {
    const lagging = (s.collections / 35) * LAGGING_PER_35
    return { lag_placeholder: -6, lag_real: lagging, drift_open: lagging - 6, event_log: 6, scan_run: 1 }
  },

  async up({ db, note }) {
    const placeholders = await db.selectFrom('v_drift_finding').select('subject').where('category', '=', 'projection_lag').execute()
    await sql`
      create view v_projection_lag_timing as
      select i.collection_name, i.registry_code, i.updated_at,
             coalesce(p.projected_at, r.projected_at) as projected_at,
             i.updated_at - coalesce(p.projected_at, r.projected_at) as lag,
             i.updated_at > coalesce(p.projected_at, r.projected_at) as lagging
      from governance_collection_inventory i
      join governance_registry r using (registry_code)
      left join axis_projection p using (registry_code)
      where coalesce(p.projected_at, r.projected_at) is not null`.execute(db)
    await createDriftView(db, DRIFT_TIMED)
    await logEvents(db, 'LT', placeholders.map((p) => ({ eventType: 'gov.drift.finding', subject: `${p.subject ?? ''}:lag-timed` })))
    const lagging = await db.selectFrom('v_projection_lag_timing').select((eb) => eb.fn.countAll<number>().as('n')).where('lagging', '=', true).executeTakeFirstOrThrow()
    const rerun = await scan(db, { ruleset: MARK.ruleset, runPrefix: MARK.scanRunPrefix, triggeredBy: 'LT' })
    note(`${placeholders.length} placeholders replaced; ${Number(lagging.n)} collections lag their projection; ${rerun.runId}: ${rerun.newStates + rerun.newObjects} new candidates`)
  },

  async down({ db }) {
    await removeScanRuns(db, MARK.ruleset, 'LT')
    await removeEvents(db, 'LT')
    await createDriftView(db, DRIFT_FACET_AWARE)
    await sql`drop view v_projection_lag_timing`.execute(db)
  },
})
