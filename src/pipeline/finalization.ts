import { sql } from 'kysely'
import { narrow, type On } from '../db/schema.ts'
import type { DB as ReconcileDB } from '../db/schema/0007-RC.ts'
import type { DB as KgDB } from '../db/schema/0008-KG.ts'
import type { DB as ContainmentDB } from '../db/schema/0009-CN.ts'
import type { DB as LagDB } from '../db/schema/0010-LT.ts'
import { GovMigrateError } from '../errors.ts'
import { createDriftView, DRIFT_FACET_AWARE, DRIFT_SUBSTRATE, DRIFT_TIMED } from './drift-view.ts'
import { logEvents, removeEvents } from './events.ts'
import { createAssignmentOwnedGuard, dropAssignmentOwnedGuard } from './containment.ts'
import { asTool } from '../db/statement-origin.ts'

/**
 * The four finalization steps (report 003), each with its exact undo. `stage` marks the
 * events a step logs, `createdBy` every row it writes, so the undo removes exactly them.
 */
export interface StepMarks {
  stage: string
  createdBy: string
}

// 1. Reconcile ------------------------------------------------------------------------

/** Decides every divergent mapping orthogonal, projects every unprojected registry, facet-aware drift. */
export async function reconcile<S extends ReconcileDB>(trx: On<S>, marks: StepMarks): Promise<string> {
  const db = narrow<ReconcileDB, S>(trx)
  await db.schema
    .createTable('axis_facet_decision')
    .addColumn('axis_code', 'text', (c) => c.notNull().references('axis_registry.axis_code'))
    .addColumn('object_code', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('orthogonal', 'aligned')`))
    .addColumn('rationale', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('axis_facet_decision_pkey', ['axis_code', 'object_code'])
    .execute()
  const divergent = await db.selectFrom('v_drift_finding').select('subject').where('category', '=', 'divergent_label_topic').execute()
  if (divergent.length > 0) {
    await db
      .insertInto('axis_facet_decision')
      .values(
        divergent.map((f) => ({
          axis_code: 'topic',
          object_code: f.subject ?? '',
          decision: 'orthogonal',
          rationale: 'the application tag and the registry are independent facets of a collection',
          created_by: marks.createdBy,
        })),
      )
      .execute()
  }
  const gaps = await db.selectFrom('v_drift_finding').select('subject').where('category', '=', 'projection_gap').execute()
  await sql`create view v_registry_governance as select registry_code, title, projection_view from governance_registry`.execute(db)
  if (gaps.length > 0) {
    await db
      .insertInto('axis_projection')
      .values(gaps.map((g) => ({ registry_code: g.subject ?? '', projection_view: 'v_registry_governance', projected_at: new Date(), created_by: marks.createdBy })))
      .execute()
  }
  await createDriftView(db, DRIFT_FACET_AWARE)
  await logEvents(db, marks.stage, [...divergent, ...gaps].map((f) => ({ eventType: 'gov.drift.finding', subject: f.subject ?? '' })), marks.createdBy)
  return `${divergent.length} divergent mappings decided orthogonal, ${gaps.length} registry projected`
}

export async function unreconcile<S extends ReconcileDB>(trx: On<S>, marks: StepMarks): Promise<void> {
  const db = narrow<ReconcileDB, S>(trx)
  await removeEvents(db, marks.stage, marks.createdBy)
  await createDriftView(db, DRIFT_SUBSTRATE)
  await db.deleteFrom('axis_projection').where('created_by', '=', marks.createdBy).execute()
  await sql`drop view v_registry_governance`.execute(db)
  await db.schema.dropTable('axis_facet_decision').execute()
}

// 2. KG ratification ------------------------------------------------------------------

export const KG_VALUE = 'kg-domain-x'

/** kg-domain-x from held candidate to active, parented and projected; lifecycle rehearsed and rolled back. */
export async function ratifyKg<S extends KgDB>(trx: On<S>, marks: StepMarks): Promise<string> {
  const db = narrow<KgDB, S>(trx)
  const topic = () => db.updateTable('axis_value').where('axis_code', '=', 'topic').where('value_code', '=', KG_VALUE)
  const ratified = await topic()
    .set({ status: 'active', provenance: 'kg_ratified', registry_code: 'registry-kg', parent_value: 'registry-kg', projected_at: new Date() })
    .where('status', '=', 'candidate')
    .where('provenance', '=', 'kg_provisional')
    .executeTakeFirst()
  if (ratified.numUpdatedRows !== 1n) {
    throw new GovMigrateError(`${KG_VALUE} is not a held kg_provisional candidate`, 'apply the axis substrate first')
  }
  // Lifecycle rehearsal: each operation for real, then rolled back to the savepoint.
  const statusOf = async () =>
    (await db.selectFrom('axis_value').select('status').where('axis_code', '=', 'topic').where('value_code', '=', KG_VALUE).executeTakeFirstOrThrow()).status
  // The pipeline's own savepoint (the tool's, not a migration's SQL: see statement-origin.ts).
  await asTool(() => sql`savepoint kg_lifecycle`.execute(db))
  await topic().set({ status: 'deprecated' }).execute()
  const deprecated = await statusOf()
  await topic().set({ status: 'merged', parent_value: 'knowledge' }).execute()
  const merged = await statusOf()
  await db
    .insertInto('axis_value')
    .values(['a', 'b'].map((part) => ({ axis_code: 'topic', value_code: `${KG_VALUE}-${part}`, status: 'candidate', provenance: 'kg_split', parent_value: KG_VALUE, created_by: marks.createdBy })))
    .execute()
  await asTool(() => sql`rollback to savepoint kg_lifecycle`.execute(db))
  await asTool(() => sql`release savepoint kg_lifecycle`.execute(db))
  const after = await statusOf()
  if (deprecated !== 'deprecated' || merged !== 'merged' || after !== 'active') {
    throw new GovMigrateError(`the lifecycle rehearsal of ${KG_VALUE} did not behave (${deprecated}, ${merged}, ${after})`, 'inspect axis_value')
  }
  await logEvents(
    db,
    marks.stage,
    [
      { eventType: 'gov.candidate.created', subject: `${KG_VALUE}:ratified` },
      { eventType: 'gov.candidate.created', subject: `${KG_VALUE}:projected` },
    ],
    marks.createdBy,
  )
  return `${KG_VALUE} ratified; deprecate/merge/split rehearsed and rolled back`
}

export async function unratifyKg<S extends KgDB>(trx: On<S>, marks: StepMarks): Promise<void> {
  const db = narrow<KgDB, S>(trx)
  await removeEvents(db, marks.stage, marks.createdBy)
  await db
    .updateTable('axis_value')
    .set({ status: 'candidate', provenance: 'kg_provisional', registry_code: null, parent_value: null, projected_at: null })
    .where('axis_code', '=', 'topic')
    .where('value_code', '=', KG_VALUE)
    .execute()
}

// 3. Containment activation -----------------------------------------------------------

/** Coverage rule, one owner per collection, the fail-closed guard, then the assignments. */
export async function activateContainment<S extends ContainmentDB>(trx: On<S>, marks: StepMarks): Promise<string> {
  const db = narrow<ContainmentDB, S>(trx)
  await db
    .insertInto('axis_coverage_rule')
    .values({ axis_code: 'containment', required_object_kind: 'collection', rule: 'every collection assigned to its group and owned on the axis', created_by: marks.createdBy })
    .execute()
  const perCollection = (extra: 'owner' | 'group') =>
    db.selectFrom('governance_collection_containment').select((eb) => [
      eb.cast<string>(eb.val('containment'), 'text').as('axis_code'),
      eb.cast<string>(eb.val('collection'), 'text').as('object_kind'),
      'collection_name',
      extra === 'owner'
        ? eb.fn<string>('concat_ws', [eb.cast(eb.val(':'), 'text'), eb.cast(eb.val('owner'), 'text'), 'group_code']).as('extra')
        : eb.ref('group_code').as('extra'),
      eb.cast<string>(eb.val(marks.createdBy), 'text').as('created_by'),
    ])
  await db
    .insertInto('axis_object_ownership')
    .columns(['axis_code', 'object_kind', 'object_code', 'owner_ref', 'created_by'])
    .expression(perCollection('owner'))
    .execute()
  await createAssignmentOwnedGuard(db)
  await db
    .insertInto('axis_assignment')
    .columns(['axis_code', 'object_kind', 'object_code', 'value_code', 'created_by'])
    .expression(perCollection('group'))
    .execute()
  const groups = await db.selectFrom('governance_group').select('group_code').orderBy('group_code').execute()
  await logEvents(db, marks.stage, groups.map((g) => ({ eventType: 'gov.ownership.gap', subject: `${g.group_code}:containment-closed` })), marks.createdBy)
  return `containment activated for ${groups.length} groups`
}

export async function deactivateContainment<S extends ContainmentDB>(trx: On<S>, marks: StepMarks): Promise<void> {
  const db = narrow<ContainmentDB, S>(trx)
  await removeEvents(db, marks.stage, marks.createdBy)
  await dropAssignmentOwnedGuard(db)
  await db.deleteFrom('axis_assignment').where('axis_code', '=', 'containment').where('created_by', '=', marks.createdBy).execute()
  await db.deleteFrom('axis_object_ownership').where('axis_code', '=', 'containment').where('created_by', '=', marks.createdBy).execute()
  await db.deleteFrom('axis_coverage_rule').where('axis_code', '=', 'containment').execute()
}

// 4. Projection-lag timing ------------------------------------------------------------

/** v_projection_lag_timing from real timestamps replaces the structural placeholders. */
export async function timeProjectionLag<S extends LagDB>(trx: On<S>, marks: StepMarks): Promise<string> {
  const db = narrow<LagDB, S>(trx)
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
  await logEvents(db, marks.stage, placeholders.map((p) => ({ eventType: 'gov.drift.finding', subject: `${p.subject ?? ''}:lag-timed` })), marks.createdBy)
  const lagging = await db.selectFrom('v_projection_lag_timing').select((eb) => eb.fn.countAll<number>().as('n')).where('lagging', '=', true).executeTakeFirstOrThrow()
  return `${placeholders.length} placeholders replaced; ${Number(lagging.n)} collections lag their projection`
}

export async function untimeProjectionLag<S extends LagDB>(trx: On<S>, marks: StepMarks): Promise<void> {
  const db = narrow<LagDB, S>(trx)
  await removeEvents(db, marks.stage, marks.createdBy)
  await createDriftView(db, DRIFT_FACET_AWARE)
  await sql`drop view v_projection_lag_timing`.execute(db)
}

/** The stand-in has nine collections changed after their projection in every 35. */
export const LAGGING_PER_35 = 9
