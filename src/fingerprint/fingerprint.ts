import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'

/** A session the health reading warns about, with its age. */
export interface SessionWarning {
  pid: number
  application: string
  state: string
  /** Milliseconds idle in transaction (idle sessions) or since its transaction began (lock holders). */
  age_ms: number
  /** Relation locks it holds. */
  locks: number
}

/**
 * DOMAIN.md's production check, in the order the reports print it. Three kinds of reading,
 * never mixed (see `KIND`): governance state (compared), organic readings (old → new, flagged
 * when they fall, never a failure) and health (warnings with the session's age, never a change).
 */
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
  /** Health: sessions idle in transaction for longer than the threshold (a live app's sub-millisecond pauses are not). */
  idle_in_txn: number
  schema_md5: string
  approval_requests: number
  apr_approvals: number
  apr_action_types: number
  dot_tools: number
  system_issues: number
  /** Health: the sessions behind `idle_in_txn`, and sessions holding locks in a transaction older than the threshold. */
  health: { idle_in_txn: SessionWarning[]; long_locks: SessionWarning[] }
}

export type FingerprintKey = keyof Fingerprint
export type CountKey = Exclude<FingerprintKey, 'db' | 'schema_md5' | 'health'>

/** What a reading is: compared, reported, or a warning. */
export type ReadingKind = 'governance' | 'organic' | 'health'

/**
 * The kind of every key. Organic, from DOMAIN.md: `system_issues` is the one count application
 * traffic changes ("captured, never written by the pipeline"); the app's other tables
 * (`dot_tools`, approvals) hold baseline numbers the pipeline must leave exactly as they are,
 * so they are compared.
 */
export const KIND: Readonly<Record<FingerprintKey, ReadingKind>> = {
  db: 'governance',
  own: 'governance',
  gap: 'governance',
  ospa: 'governance',
  gov_emit: 'governance',
  gov_active: 'governance',
  axis_tables: 'governance',
  ruleset: 'governance',
  scan_run: 'governance',
  cand_state: 'governance',
  cand_object: 'governance',
  cursor: 'governance',
  idle_in_txn: 'health',
  schema_md5: 'governance',
  approval_requests: 'governance',
  apr_approvals: 'governance',
  apr_action_types: 'governance',
  dot_tools: 'governance',
  system_issues: 'organic',
  health: 'health',
}

const keysOf = (kind: ReadingKind) => (Object.keys(KIND) as FingerprintKey[]).filter((key) => KIND[key] === kind)
export const GOVERNANCE_KEYS = keysOf('governance')
/** Counts that application traffic changes: reported old → new, never compared. */
export const ORGANIC_KEYS = keysOf('organic')
export const HEALTH_KEYS = keysOf('health')

export { DEFAULT_HEALTH_THRESHOLD_MS, GOVERNANCE_OBJECTS } from './governance-objects.ts'
import { DEFAULT_HEALTH_THRESHOLD_MS, GOVERNANCE_OBJECTS } from './governance-objects.ts'

/** How a fingerprint is read: the ratification proposal (ospa), the governance objects, the health threshold. */
export interface FingerprintSettings {
  proposal: string
  governanceObjects?: readonly string[]
  /** A session idle in transaction, or holding locks in a transaction, longer than this is a health warning. */
  healthThresholdMs?: number
}

const settingsOf = (s: string | FingerprintSettings): Required<FingerprintSettings> => {
  const given = typeof s === 'string' ? { proposal: s } : s
  return {
    proposal: given.proposal,
    governanceObjects: given.governanceObjects ?? GOVERNANCE_OBJECTS,
    healthThresholdMs: given.healthThresholdMs ?? DEFAULT_HEALTH_THRESHOLD_MS,
  }
}

/**
 * The fingerprint as one statement, so that every number comes from the same snapshot.
 * Definitions are rendered by the server's own `pg_get_*def` functions and hashed in order.
 */
export function fingerprintQuery(settings: string | FingerprintSettings) {
  const { proposal, governanceObjects, healthThresholdMs } = settingsOf(settings)
  const names = [...governanceObjects]
  const threshold = sql`make_interval(secs => ${healthThresholdMs / 1000}::float8)`
  const sessions = sql`
    select a.pid, coalesce(a.application_name, '') as application, coalesce(a.state, '') as state, a.state_change, a.xact_start,
           (select count(*)::int from pg_locks l where l.pid = a.pid and l.granted and l.locktype = 'relation') as locks
    from pg_stat_activity a
    where a.datname = pg_catalog.current_database() and a.pid <> pg_catalog.pg_backend_pid() and a.backend_type = 'client backend'`
  const warning = (age: ReturnType<typeof sql>) =>
    sql`jsonb_build_object('pid', s.pid, 'application', s.application, 'state', s.state,
          'age_ms', (extract(epoch from clock_timestamp() - ${age}) * 1000)::bigint, 'locks', s.locks)`
  return sql<Fingerprint>`
    with objs as (
      select c.oid, c.relname, c.relkind
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'p') and c.relname = any(${names}::text[])
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
      where n.nspname = 'public' and p.prokind = 'f' and p.proname = any(${names}::text[])
    ), sessions as (${sessions})
    select
      pg_catalog.current_database() as db,
      (select count(*)::int from governance_object_ownership) as own,
      (select count(*)::int from v_object_owner_gap) as gap,
      (select count(*)::int from public.os_proposal_approvals where proposal_code = ${proposal}) as ospa,
      (select count(*)::int from governance_event_log l join event_type_registry t using (event_type)
        where t.is_governance and l.emitted) as gov_emit,
      (select count(*)::int from event_type_registry where is_governance and active) as gov_active,
      (select count(*)::int from objs where relkind in ('r', 'p') and relname like 'axis\_%') as axis_tables,
      (select count(*)::int from governance_ruleset) as ruleset,
      (select count(*)::int from candidate_scan_run) as scan_run,
      (select count(*)::int from governance_candidate_state) as cand_state,
      (select count(*)::int from governance_candidate_object) as cand_object,
      (select count(*)::int from gov_worker_cursor) as cursor,
      (select count(*)::int from sessions where state like 'idle in transaction%' and clock_timestamp() - state_change > ${threshold}) as idle_in_txn,
      (select md5(string_agg(def, E'\n' order by def)) from defs) as schema_md5,
      (select count(*)::int from approval_requests) as approval_requests,
      (select count(*)::int from apr_approvals) as apr_approvals,
      (select count(*)::int from apr_action_types) as apr_action_types,
      (select count(*)::int from dot_tools) as dot_tools,
      (select count(*)::int from system_issues) as system_issues,
      jsonb_build_object(
        'idle_in_txn', coalesce((select jsonb_agg(${warning(sql`s.state_change`)} order by s.state_change)
          from (select * from sessions where state like 'idle in transaction%' and clock_timestamp() - state_change > ${threshold}
                order by state_change limit 20) s), '[]'::jsonb),
        'long_locks', coalesce((select jsonb_agg(${warning(sql`s.xact_start`)} order by s.xact_start)
          from (select * from sessions where locks > 0 and xact_start is not null and clock_timestamp() - xact_start > ${threshold}
                order by xact_start limit 20) s), '[]'::jsonb)
      ) as health`
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
export async function readFingerprint(db: Kysely<DB>, settings: string | FingerprintSettings): Promise<Fingerprint> {
  const read = async (trx: Kysely<DB>) => {
    const { rows } = await fingerprintQuery(settings).execute(trx)
    const row = rows[0]
    if (!row) throw new Error('the fingerprint query returned no row')
    return row
  }
  // Inside a caller's transaction the statement already sees one snapshot.
  return db.isTransaction ? read(db) : db.transaction().setAccessMode('read only').execute(read)
}

/** Governance keys whose values differ between two fingerprints: the only comparison that fails. */
export function diffFingerprints(a: Fingerprint, b: Fingerprint): FingerprintKey[] {
  return GOVERNANCE_KEYS.filter((key) => a[key] !== b[key])
}

/** An organic reading, old → new; `fell` flags a count that went down (reported, never a failure). */
export interface OrganicReading {
  key: FingerprintKey
  from: number
  to: number
  fell: boolean
}

/** The three kinds of reading between two fingerprints, kept apart. */
export interface FingerprintComparison {
  /** Governance keys that differ: a change. */
  governance: FingerprintKey[]
  /** Organic counts old → new. */
  organic: OrganicReading[]
  /** Health warnings of the later reading, with the session's age: never a change. */
  health: string[]
}

/** One line per health warning: `session 4711 (app) idle in transaction for 7.2 s, 1 lock(s)`. */
export function healthWarnings(fp: Fingerprint): string[] {
  const health = fp.health ?? { idle_in_txn: [], long_locks: [] }
  const line = (w: SessionWarning, what: string) =>
    `session ${w.pid}${w.application ? ` (${w.application})` : ''} ${what} for ${(w.age_ms / 1000).toFixed(1)} s, ${w.locks} relation lock(s)`
  return [
    ...health.idle_in_txn.map((w) => line(w, 'idle in transaction')),
    ...health.long_locks.filter((w) => !health.idle_in_txn.some((i) => i.pid === w.pid)).map((w) => line(w, `holding locks (${w.state}) in a transaction open`)),
  ]
}

export function compareFingerprints(a: Fingerprint, b: Fingerprint): FingerprintComparison {
  return {
    governance: diffFingerprints(a, b),
    organic: ORGANIC_KEYS.map((key) => {
      const from = Number(a[key])
      const to = Number(b[key])
      return { key, from, to, fell: to < from }
    }),
    health: healthWarnings(b),
  }
}

/** `system_issues 203537 → 203601`, `dot_tools 309 → 0 (fell)`. */
export function organicLines(readings: readonly OrganicReading[]): string[] {
  return readings.map((r) => `${r.key} ${r.from} → ${r.to}${r.fell ? ' (fell: look at what deleted rows)' : ''}`)
}
