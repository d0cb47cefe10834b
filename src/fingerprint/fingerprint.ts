import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'

/** DOMAIN.md's production check, in the order the reports print it. */
export interface Fingerprint {
  db: string
  own: number
  gap: number
  ospa: number
  gov_emit: number
  gov_active: number
  axis_tables: number
  ruleset: number
  scan_run: number
  cand_state: number
  cand_object: number
  cursor: number
  idle_in_txn: number
  schema_md5: string
  approval_requests: number
  apr_approvals: number
  apr_action_types: number
  dot_tools: number
  system_issues: number
}

/** Counts that application traffic changes: reported, never compared. */
export const ORGANIC_KEYS = ['approval_requests', 'apr_approvals', 'apr_action_types', 'dot_tools', 'system_issues'] as const

export type FingerprintKey = keyof Fingerprint
export type CountKey = Exclude<FingerprintKey, 'db' | 'schema_md5'>

/**
 * Names of the governance objects whose definitions make up `schema_md5`.
 * The tool's own schema (`gov_migrate`) is never part of it.
 */
const GOVERNANCE_NAMES = String.raw`^(governance_|gov_|v_|axis_|candidate_|event_type_registry$|os_proposal_approvals$)`

/**
 * The fingerprint as one statement, so that every number comes from the same snapshot.
 * Definitions are rendered by the server's own `pg_get_*def` functions and hashed in order.
 */
export function fingerprintQuery(proposal: string) {
  return sql<Fingerprint>`
    with objs as (
      select c.oid, c.relname, c.relkind
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'p') and c.relname ~ ${GOVERNANCE_NAMES}
    ), defs as (
      select o.relname::text || ':' || o.relkind::text || ':' || coalesce((
        select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                 || case when a.attnotnull then ' not null' else '' end
                 || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
                 || case when a.attidentity <> '' then ' identity' else '' end, ', ' order by a.attnum)
        from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = o.oid and a.attnum > 0 and not a.attisdropped), '') as def
      from objs o
      union all
      select conrelid::regclass::text || ':constraint:' || conname || ':' || pg_get_constraintdef(oid)
      from pg_constraint where conrelid in (select oid from objs)
      union all
      select indrelid::regclass::text || ':index:' || pg_get_indexdef(indexrelid)
      from pg_index where indrelid in (select oid from objs)
      union all
      select tgrelid::regclass::text || ':trigger:' || pg_get_triggerdef(oid)
      from pg_trigger where tgrelid in (select oid from objs) and not tgisinternal
      union all
      select relname::text || ':view:' || pg_get_viewdef(oid) from objs where relkind in ('v', 'm')
      union all
      select 'function:' || p.oid::regprocedure::text || ':' || md5(pg_get_functiondef(p.oid))
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.prokind = 'f' and p.proname ~ ${GOVERNANCE_NAMES}
    )
    select
      pg_catalog.current_database() as db,
      (select count(*)::int from governance_object_ownership) as own,
      (select count(*)::int from v_object_owner_gap) as gap,
      (select count(*)::int from public.os_proposal_approvals where proposal_code = ${proposal}) as ospa,
      (select count(*)::int from governance_event_log l join event_type_registry t using (event_type)
        where t.is_governance and l.emitted) as gov_emit,
      (select count(*)::int from event_type_registry where is_governance and active) as gov_active,
      (select count(*)::int from pg_tables where schemaname = 'public' and tablename like 'axis\_%') as axis_tables,
      (select count(*)::int from governance_ruleset) as ruleset,
      (select count(*)::int from candidate_scan_run) as scan_run,
      (select count(*)::int from governance_candidate_state) as cand_state,
      (select count(*)::int from governance_candidate_object) as cand_object,
      (select count(*)::int from gov_worker_cursor) as cursor,
      (select count(*)::int from pg_stat_activity
        where datname = pg_catalog.current_database() and state like 'idle in transaction%') as idle_in_txn,
      (select md5(string_agg(def, E'\n' order by def)) from defs) as schema_md5,
      (select count(*)::int from approval_requests) as approval_requests,
      (select count(*)::int from apr_approvals) as apr_approvals,
      (select count(*)::int from apr_action_types) as apr_action_types,
      (select count(*)::int from dot_tools) as dot_tools,
      (select count(*)::int from system_issues) as system_issues`
}

/**
 * Reads the fingerprint in a READ ONLY transaction (with the read-only channel's
 * 5 s statement timeout when the connection is that channel's).
 *
 * ### Examples
 * ```ts
 * const fp = await readFingerprint(db, 'APR-BOOT-AUTHMODEL-1')
 * fp.gap // 210 on the stand-in
 * ```
 */
export async function readFingerprint(db: Kysely<DB>, proposal: string): Promise<Fingerprint> {
  const read = async (trx: Kysely<DB>) => {
    const { rows } = await fingerprintQuery(proposal).execute(trx)
    const row = rows[0]
    if (!row) throw new Error('the fingerprint query returned no row')
    return row
  }
  // Inside a caller's transaction the statement already sees one snapshot.
  return db.isTransaction ? read(db) : db.transaction().setAccessMode('read only').execute(read)
}

/** Keys whose values differ between two fingerprints; organic counts are not compared. */
export function diffFingerprints(a: Fingerprint, b: Fingerprint): FingerprintKey[] {
  const organic: readonly string[] = ORGANIC_KEYS
  return (Object.keys(a) as FingerprintKey[]).filter((key) => !organic.includes(key) && a[key] !== b[key])
}
