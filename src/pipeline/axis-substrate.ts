import { sql } from 'kysely'
import { narrow, type On } from '../db/schema.ts'
import type { DB } from '../db/schema/0006-AX.ts'
import { axisCoverageViewSql, createDriftView, DRIFT_SUBSTRATE } from './drift-view.ts'
import type { Shape } from '../fingerprint/metrics.ts'
import type { Deltas } from '../migrator/migration.ts'

/** Topic values: one per projected registry, plus governance for the registry of registries. */
export const TOPICS = [
  ['core', 'registry-core'],
  ['knowledge', 'registry-kg'],
  ['tools', 'registry-dot'],
  ['approvals', 'registry-apr'],
  ['operations', 'registry-ops'],
  ['archive', 'registry-archive'],
  ['governance', 'governance_registry'],
] as const

/**
 * The axis/topic substrate: parallel axis_* tables (never an ALTER of
 * governance_object_ownership), three axes, their values, the topic assignments the
 * application tagged, the responsibility ownership mirrored from the anchors, and the
 * coverage and drift views. Every row carries `createdBy`.
 */
export async function createAxisSubstrate<S extends DB>(trx: On<S>, createdBy: string): Promise<void> {
  const db = narrow<DB, S>(trx)
  // 1. Tables.
  await db.schema
    .createTable('axis_registry')
    .addColumn('axis_code', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('structural', 'descriptive')`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('axis_value')
    .addColumn('axis_code', 'text', (c) => c.notNull().references('axis_registry.axis_code'))
    .addColumn('value_code', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'candidate', 'deprecated', 'merged')`))
    .addColumn('provenance', 'text', (c) => c.notNull())
    .addColumn('registry_code', 'text', (c) => c.references('governance_registry.registry_code'))
    .addColumn('parent_value', 'text')
    .addColumn('projected_at', 'timestamptz')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('axis_value_pkey', ['axis_code', 'value_code'])
    .execute()
  await db.schema
    .createTable('axis_assignment')
    .addColumn('axis_code', 'text', (c) => c.notNull())
    .addColumn('object_kind', 'text', (c) => c.notNull())
    .addColumn('object_code', 'text', (c) => c.notNull())
    .addColumn('value_code', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('axis_assignment_pkey', ['axis_code', 'object_kind', 'object_code'])
    .addForeignKeyConstraint('axis_assignment_value_fkey', ['axis_code', 'value_code'], 'axis_value', ['axis_code', 'value_code'])
    .execute()
  await db.schema
    .createTable('axis_object_ownership')
    .addColumn('id', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('axis_code', 'text', (c) => c.notNull().references('axis_registry.axis_code'))
    .addColumn('object_kind', 'text', (c) => c.notNull())
    .addColumn('object_code', 'text', (c) => c.notNull())
    .addColumn('scope_code', 'text', (c) => c.references('governance_scope.scope_code'))
    .addColumn('owner_ref', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('axis_object_ownership_key', ['axis_code', 'object_kind', 'object_code', 'scope_code'], (u) => u.nullsNotDistinct())
    .execute()
  await db.schema
    .createTable('axis_coverage_rule')
    .addColumn('axis_code', 'text', (c) => c.primaryKey().references('axis_registry.axis_code'))
    .addColumn('required_object_kind', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('axis_projection')
    .addColumn('registry_code', 'text', (c) => c.primaryKey().references('governance_registry.registry_code'))
    .addColumn('projection_view', 'text', (c) => c.notNull())
    .addColumn('projected_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute()

  // 2. The three axes and their values.
  await db
    .insertInto('axis_registry')
    .values([
      { axis_code: 'responsibility', title: 'Who answers for a (collection, scope)', kind: 'structural', created_by: createdBy },
      { axis_code: 'topic', title: 'What a collection is about', kind: 'descriptive', created_by: createdBy },
      { axis_code: 'containment', title: 'Which group holds a collection', kind: 'structural', created_by: createdBy },
    ])
    .execute()
  await db
    .insertInto('axis_value')
    .values([
      ...TOPICS.map(([value, registry]) => ({ axis_code: 'topic', value_code: value, status: 'active', provenance: 'seed', registry_code: registry, created_by: createdBy })),
      { axis_code: 'topic', value_code: 'kg-domain-x', status: 'candidate', provenance: 'kg_provisional', registry_code: null, created_by: createdBy },
    ])
    .execute()
  for (const [axis, table, column] of [
    ['responsibility', 'governance_scope', 'scope_code'],
    ['containment', 'governance_group', 'group_code'],
  ] as const) {
    await db
      .insertInto('axis_value')
      .columns(['axis_code', 'value_code', 'status', 'provenance', 'created_by'])
      .expression(
        db.selectFrom(table).select((eb) => [
          eb.cast<string>(eb.val(axis), 'text').as('axis_code'),
          eb.ref(column).as('value_code'),
          eb.cast<string>(eb.val('active'), 'text').as('status'),
          eb.cast<string>(eb.val('seed'), 'text').as('provenance'),
          eb.cast<string>(eb.val(createdBy), 'text').as('created_by'),
        ]),
      )
      .execute()
  }

  // 3. Topic assignments from the application's tags; responsibility mirrored from ownership.
  await db
    .insertInto('axis_assignment')
    .columns(['axis_code', 'object_kind', 'object_code', 'value_code', 'created_by'])
    .expression(
      db
        .selectFrom('governance_collection_inventory')
        .where('topic_label', 'is not', null)
        .select((eb) => [
          eb.cast<string>(eb.val('topic'), 'text').as('axis_code'),
          eb.cast<string>(eb.val('collection'), 'text').as('object_kind'),
          'collection_name',
          eb.fn.coalesce('topic_label', eb.cast<string>(eb.val(''), 'text')).as('value_code'),
          eb.cast<string>(eb.val(createdBy), 'text').as('created_by'),
        ]),
    )
    .execute()
  await db
    .insertInto('axis_object_ownership')
    .columns(['axis_code', 'object_kind', 'object_code', 'scope_code', 'owner_ref', 'created_by'])
    .expression(
      db
        .selectFrom('governance_object_ownership')
        .select((eb) => [
          eb.cast<string>(eb.val('responsibility'), 'text').as('axis_code'),
          'object_kind',
          'object_code',
          'scope_code',
          'owner_ref',
          eb.cast<string>(eb.val(createdBy), 'text').as('created_by'),
        ]),
    )
    .execute()
  await db
    .insertInto('axis_coverage_rule')
    .values({ axis_code: 'responsibility', required_object_kind: 'collection', rule: 'every (collection, scope) pair owned, directly or through its group', created_by: createdBy })
    .execute()

  // 4. Views over real rows.
  await sql.raw(axisCoverageViewSql).execute(db)
  await createDriftView(db, DRIFT_SUBSTRATE)
}

/** Drops everything createAxisSubstrate made. */
export async function dropAxisSubstrate<S extends DB>(trx: On<S>): Promise<void> {
  const db = narrow<DB, S>(trx)
  await sql`drop view v_drift_finding`.execute(db)
  await sql`drop view v_axis_coverage`.execute(db)
  for (const table of ['axis_projection', 'axis_coverage_rule', 'axis_object_ownership', 'axis_assignment', 'axis_value', 'axis_registry']) {
    await db.schema.dropTable(table).execute()
  }
}

/** What the substrate adds, on the stand-in's data (six topic tags, four of them divergent). */
export function substrateDeltas(s: Shape): Deltas {
  return {
    axis_tables: 6,
    topic_active: TOPICS.length,
    topic_candidate: 1,
    topic_assign: 6,
    axis_own: s.groups * s.scopes,
    drift_open: 4 + 1 + 1 + 6 + (s.collections - 6),
    divergent: 4,
    projection_gap: 1,
    rule_missing: 1,
    lag_placeholder: 6,
    quality: s.collections - 6,
  }
}
