import { sql } from 'kysely'
import { narrow, type On } from '../db/schema.ts'
import type { DB } from '../db/schema/0006-AX.ts'

/**
 * The drift view `v_drift_finding`, one row per open finding, computed from real rows.
 * Its three versions, in pipeline order:
 * - substrate (AX): divergent label/topic mappings, projection gaps, missing coverage
 *   rules, structural projection-lag placeholders, quality signals, coverage gaps;
 * - facet-aware (RC): a mapping with an "orthogonal facets" decision is not divergent;
 * - timed (LT): the placeholders give way to `v_projection_lag_timing`'s real lag.
 */
export interface DriftVersion {
  facetAware: boolean
  lagTiming: boolean
}

export const DRIFT_SUBSTRATE: DriftVersion = { facetAware: false, lagTiming: false }
export const DRIFT_FACET_AWARE: DriftVersion = { facetAware: true, lagTiming: false }
export const DRIFT_TIMED: DriftVersion = { facetAware: true, lagTiming: true }

export function driftViewSql(version: DriftVersion): string {
  const decided = version.facetAware
    ? `and not exists (select 1 from axis_facet_decision d
                       where d.axis_code = a.axis_code and d.object_code = a.object_code and d.decision = 'orthogonal')`
    : ''
  const lag = version.lagTiming
    ? `select 'projection_lag', 'warning', t.collection_name,
              format('changed %s after the projection of %s', t.lag, t.registry_code)
       from v_projection_lag_timing t where t.lagging`
    : `select 'projection_lag', 'info', r.registry_code, 'placeholder: structural, no timing'
       from governance_registry r where r.projection_view is not null`
  return `
create or replace view v_drift_finding (category, severity, subject, detail) as
-- a topic assignment whose value belongs to another registry than the collection
select 'divergent_label_topic', 'warning', a.object_code,
       format('topic %s (registry %s) on a collection of %s', a.value_code, v.registry_code, i.registry_code)
from axis_assignment a
join axis_value v on v.axis_code = a.axis_code and v.value_code = a.value_code
join governance_collection_inventory i on i.collection_name = a.object_code
where a.axis_code = 'topic' and v.registry_code is distinct from i.registry_code ${decided}
union all
-- a governed registry with no projection
select 'projection_gap', 'warning', r.registry_code, 'no projection view'
from governance_registry r
where r.projection_view is null and not exists (select 1 from axis_projection p where p.registry_code = r.registry_code)
union all
-- a structural axis without a coverage rule
select 'coverage_rule_missing', 'warning', x.axis_code, 'structural axis without a coverage rule'
from axis_registry x
where x.kind = 'structural' and not exists (select 1 from axis_coverage_rule c where c.axis_code = x.axis_code)
union all
${lag}
union all
-- a collection without a topic
select 'quality_signal', 'info', i.collection_name, 'no topic assignment'
from governance_collection_inventory i
where not exists (select 1 from axis_assignment a where a.axis_code = 'topic' and a.object_code = i.collection_name)
union all
-- a ruled axis that leaves required objects uncovered
select 'coverage_gap', 'critical', c.axis_code, format('%s of %s required uncovered', c.gap, c.required)
from v_axis_coverage c
where c.gap > 0`
}

export async function createDriftView<S extends DB>(trx: On<S>, version: DriftVersion): Promise<void> {
  const db = narrow<DB, S>(trx)
  await sql.raw(driftViewSql(version)).execute(db)
}

/**
 * Coverage per ruled structural axis: responsibility over (collection, scope) pairs,
 * containment over collections (required only once its coverage rule exists).
 */
export const axisCoverageViewSql = `
create view v_axis_coverage (axis_code, required, covered, gap) as
with pairs as (
  select i.collection_name, c.group_code, s.scope_code
  from governance_collection_inventory i
  join governance_collection_containment c using (collection_name)
  cross join governance_scope s
), responsibility as (
  select count(*) as required,
         count(*) filter (where exists (
           select 1 from axis_object_ownership o
           where o.axis_code = 'responsibility' and o.scope_code = p.scope_code
             and ((o.object_kind = 'group' and o.object_code = p.group_code)
               or (o.object_kind = 'collection' and o.object_code = p.collection_name)))) as covered
  from pairs p
), containment as (
  select case when exists (select 1 from axis_coverage_rule r where r.axis_code = 'containment')
              then count(*) else 0 end as required,
         count(*) filter (where exists (
           select 1 from axis_assignment a
           where a.axis_code = 'containment' and a.object_kind = 'collection' and a.object_code = i.collection_name)
           and exists (
           select 1 from axis_object_ownership o
           where o.axis_code = 'containment' and o.object_kind = 'collection' and o.object_code = i.collection_name)) as covered
  from governance_collection_inventory i
)
select 'responsibility', required::int, covered::int, (required - covered)::int from responsibility
union all
select 'containment', required::int, least(covered, required)::int, greatest(required - covered, 0)::int from containment`
