/**
 * Stage RC — reconcile (clone, finalization).
 *
 * A facet-orthogonality decision register: each divergent label/topic mapping found by
 * v_drift_finding gets a decision that the application's tag and the registry are
 * orthogonal facets, and the drift view becomes facet-aware. The one registry without a
 * projection (governance_registry) gets v_registry_governance. One event per resolved
 * finding is logged (never emitted); the scanner is re-run (idempotent).
 *
 * Expected: axis_tables +1, decisions +4, divergent −4, projection_gap −1, drift_open −5,
 * event_log +5, scan_run +1.
 * Down restores the substrate drift view and removes everything above.
 */
import { sql } from 'kysely'
import { defineMigration } from '../src/migrator/migration.ts'
import { MARK } from '../src/markers.ts'
import { createDriftView, DRIFT_FACET_AWARE, DRIFT_SUBSTRATE } from '../src/pipeline/drift-view.ts'
import { logEvents, removeEvents } from '../src/pipeline/events.ts'
import { removeScanRuns, scan } from '../src/pipeline/scanner.ts'

export default defineMigration({
  id: 'RC',
  title: 'reconcile: facet-orthogonality decisions, facet-aware drift, registry projection',
  tier: 'clone',
  expect: () => ({ axis_tables: 1, decisions: 4, divergent: -4, projection_gap: -1, drift_open: -5, event_log: 5, scan_run: 1 }),

  async up({ db, note }) {
    await db.schema
      .createTable('axis_facet_decision')
      .addColumn('axis_code', 'text', (c) => c.notNull().references('axis_registry.axis_code'))
      .addColumn('object_code', 'text', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('orthogonal', 'aligned')`))
      .addColumn('rationale', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('axis_facet_decision_pkey', ['axis_code', 'object_code'])
      .execute()

    // 1. Decide every divergent mapping the drift view reports today.
    const divergent = await db.selectFrom('v_drift_finding').select(['subject']).where('category', '=', 'divergent_label_topic').execute()
    if (divergent.length > 0) {
      await db
        .insertInto('axis_facet_decision')
        .values(divergent.map((f) => ({
          axis_code: 'topic',
          object_code: f.subject ?? '',
          decision: 'orthogonal',
          rationale: 'the application tag and the registry are independent facets of a collection',
          created_by: MARK.cloneSeed,
        })))
        .execute()
    }

    // 2. Project every registry that has no projection.
    const gaps = await db.selectFrom('v_drift_finding').select(['subject']).where('category', '=', 'projection_gap').execute()
    await sql`create view v_registry_governance as select registry_code, title, projection_view from governance_registry`.execute(db)
    if (gaps.length > 0) {
      await db
        .insertInto('axis_projection')
        .values(gaps.map((g) => ({ registry_code: g.subject ?? '', projection_view: 'v_registry_governance', projected_at: new Date(), created_by: MARK.cloneSeed })))
        .execute()
    }

    // 3. Facet-aware drift, events for the resolved findings, scanner re-run.
    await createDriftView(db, DRIFT_FACET_AWARE)
    await logEvents(db, 'RC', [...divergent, ...gaps].map((f) => ({ eventType: 'gov.drift.finding', subject: f.subject ?? '' })))
    const rerun = await scan(db, { ruleset: MARK.ruleset, runPrefix: MARK.scanRunPrefix, triggeredBy: 'RC' })
    note(`${divergent.length} divergent mappings decided orthogonal, ${gaps.length} registry projected; ${rerun.runId}: ${rerun.newStates + rerun.newObjects} new candidates`)
  },

  async down({ db }) {
    await removeScanRuns(db, MARK.ruleset, 'RC')
    await removeEvents(db, 'RC')
    await createDriftView(db, DRIFT_SUBSTRATE)
    await db.deleteFrom('axis_projection').where('created_by', '=', MARK.cloneSeed).execute()
    await sql`drop view v_registry_governance`.execute(db)
    await db.schema.dropTable('axis_facet_decision').execute()
  },
})
