import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { TOOL_SCHEMA } from '../guard/connection-facts.ts'
import { readLog } from '../migrator/log-storage.ts'

/**
 * One object of the catalog: `kind` and qualified `name` identify it (`view public.v_drift_finding`),
 * `parent` is the relation it belongs to (a column's, constraint's, index's table), `def` is what
 * is compared (definition, owner, grants; a sequence's value).
 */
export interface CatalogObject {
  kind: string
  name: string
  parent: string | null
  def: string
}

/**
 * Every object in every non-system schema other than the tool's own, and a content hash of
 * every table: what the round trip is proved against.
 */
export interface CatalogSnapshot {
  objects: CatalogObject[]
  /** Qualified table name → `rows:hash` (an order-independent hash of its rows' text). */
  contents: Record<string, string>
}

const USER_SCHEMA = sql`n.nspname not in ('pg_catalog', 'information_schema', ${TOOL_SCHEMA}) and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`

/**
 * Owners and grants are read as role names; `roleOf` says how a role is written in the
 * snapshot (so a snapshot taken as one role reads equal under another of the same kind).
 */
function catalogQuery() {
  return sql<CatalogObject>`
    with rels as (
      select c.oid, c.relkind, n.nspname, c.relname, quote_ident(n.nspname) || '.' || quote_ident(c.relname) as qname,
             pg_get_userbyid(c.relowner) as owner, coalesce(c.relacl::text, '') as acl, c.relrowsecurity, c.relforcerowsecurity
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where ${USER_SCHEMA} and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
    )
    select 'schema' as kind, quote_ident(n.nspname) as name, null as parent,
           'owner ' || pg_get_userbyid(n.nspowner) || ' grants ' || coalesce(n.nspacl::text, '') as def
    from pg_namespace n where ${USER_SCHEMA}
    union all
    select case relkind when 'r' then 'table' when 'p' then 'table' when 'v' then 'view' when 'm' then 'materialized view'
                        when 'S' then 'sequence' else 'foreign table' end,
           qname, null,
           'owner ' || owner || ' grants ' || acl
             || case when relrowsecurity then ' row security' || case when relforcerowsecurity then ' forced' else '' end else '' end
             || case when relkind in ('v', 'm') then E'\n' || pg_get_viewdef(oid) else '' end
    from rels
    union all
    select 'column', r.qname || '.' || quote_ident(a.attname), r.qname,
           format_type(a.atttypid, a.atttypmod)
             || case when a.attnotnull then ' not null' else '' end
             || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
             || case a.attidentity when 'a' then ' identity always' when 'd' then ' identity by default' else '' end
             || case a.attgenerated when 's' then ' generated stored' else '' end
             || coalesce(' collate ' || co.collname, '')
             || coalesce(' grants ' || a.attacl::text, '')
    from rels r join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    left join pg_collation co on co.oid = a.attcollation and a.attcollation <> (select t.typcollation from pg_type t where t.oid = a.atttypid)
    where r.relkind <> 'S'
    union all
    select 'constraint', r.qname || '.' || quote_ident(k.conname), r.qname, pg_get_constraintdef(k.oid)
    from pg_constraint k join rels r on r.oid = k.conrelid
    union all
    select 'index', quote_ident(r.nspname) || '.' || quote_ident(i.relname), r.qname, pg_get_indexdef(x.indexrelid)
    from pg_index x join rels r on r.oid = x.indrelid join pg_class i on i.oid = x.indexrelid
    union all
    select 'trigger', r.qname || '.' || quote_ident(t.tgname), r.qname,
           pg_get_triggerdef(t.oid) || case t.tgenabled when 'D' then ' (disabled)' else '' end
    from pg_trigger t join rels r on r.oid = t.tgrelid where not t.tgisinternal
    union all
    select 'rule', r.qname || '.' || quote_ident(w.rulename), r.qname, pg_get_ruledef(w.oid)
    from pg_rewrite w join rels r on r.oid = w.ev_class where w.rulename <> '_RETURN'
    union all
    select 'policy', r.qname || '.' || quote_ident(p.polname), r.qname,
           p.polcmd::text || case when p.polpermissive then ' permissive' else ' restrictive' end
             || ' to ' || coalesce((select string_agg(case when o = 0 then 'public' else pg_get_userbyid(o) end, ',' order by 1) from unnest(p.polroles) o), '')
             || coalesce(' using ' || pg_get_expr(p.polqual, p.polrelid), '')
             || coalesce(' with check ' || pg_get_expr(p.polwithcheck, p.polrelid), '')
    from pg_policy p join rels r on r.oid = p.polrelid
    union all
    select case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end,
           quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')', null,
           'owner ' || pg_get_userbyid(p.proowner) || ' grants ' || coalesce(p.proacl::text, '')
             || case when p.prokind = 'a' then '' else ' md5 ' || md5(pg_get_functiondef(p.oid)) end
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where ${USER_SCHEMA}
      and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
    union all
    select case t.typtype when 'e' then 'enum' when 'd' then 'domain' when 'r' then 'range' else 'type' end,
           quote_ident(n.nspname) || '.' || quote_ident(t.typname), null,
           'owner ' || pg_get_userbyid(t.typowner) || ' grants ' || coalesce(t.typacl::text, '')
             || case t.typtype
                  when 'e' then ' labels ' || coalesce((select string_agg(e.enumlabel, ',' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid), '')
                  when 'd' then ' over ' || format_type(t.typbasetype, t.typtypmod) || case when t.typnotnull then ' not null' else '' end
                  else '' end
    from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where ${USER_SCHEMA} and t.typtype in ('e', 'd', 'r', 'c')
      and (t.typtype <> 'c' or (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c')
      and not exists (select 1 from pg_depend d where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype = 'e')
    union all
    select 'extension', quote_ident(x.extname), null, x.extversion || ' in ' || x.extnamespace::regnamespace::text
    from pg_extension x where x.extname <> 'plpgsql'`
}

/** The sequences of the user schemas with their value, as `last_value` (0 when never used). */
async function sequenceValues(db: Kysely<DB>): Promise<CatalogObject[]> {
  const { rows: seqs } = await sql<{ qname: string; readable: boolean }>`
    select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as qname, pg_catalog.has_sequence_privilege(c.oid, 'SELECT') as readable
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where ${USER_SCHEMA} and c.relkind = 'S' order by 1`.execute(db)
  // A sequence the reading role may not read (the approvals table's, on a clone) is listed as such.
  const unreadable = seqs.filter((s) => !s.readable).map((s) => ({ kind: 'sequence value', name: s.qname, parent: s.qname, def: 'not readable by this role' }))
  const reads = seqs.filter((s) => s.readable).map((s) => sql`select ${s.qname} as name, case when is_called then last_value else 0 end::text as value from ${sql.raw(s.qname)}`)
  if (reads.length === 0) return unreadable
  const { rows } = await sql<{ name: string; value: string }>`${sql.join(reads, sql` union all `)}`.execute(db)
  return [...rows.map((r) => ({ kind: 'sequence value', name: r.name, parent: r.name, def: r.value })), ...unreadable]
}

/**
 * Column types whose hash (the type's own, from its default hash operator class) tells values
 * apart exactly as their text does. Not numeric (1.0 = 1.00), the floats (-0 = 0), interval
 * ('1 day' = '24 hours'), json or jsonb, nor any type not listed; nor text under a
 * nondeterministic collation. Arrays of these and enums are exact too.
 */
const EXACT_HASH_TYPES = ['bool', 'int2', 'int4', 'int8', 'oid', 'text', 'varchar', 'bpchar', 'name', 'uuid', 'bytea', 'date', 'time', 'timestamp', 'timestamptz']

/**
 * How a table's rows were hashed, written between its row count and its sum: `:d:` column by
 * column with timestamptz and bool hashed directly, `:c:` column by column with those two as
 * one-element arrays (snapshots taken before `:d:`), `:r:` the whole row by `hash_record_extended`
 * (before `:c:`), `:` the md5 of each row's text.
 */
const DIRECT_HASH = ':d:'
const COLUMN_HASH = ':c:'
const RECORD_HASH = ':r:'

/**
 * A row's hash as an SQL expression, written by the server from the catalog: each column hashed
 * by its type's extended hash function, seeded with the column's number (two columns that swap
 * values change it), a null as minus that number, xor-ed together. A third cheaper than
 * `hash_record_extended`, which first copies each row into a record.
 *
 * A type whose function takes another type is brought to that type where the conversion is exact
 * and cheap (`direct`): a timestamptz by `timezone(interval '00:00', …)`, which returns its
 * microseconds unchanged as a timestamp (no time zone rule is consulted), a bool as an int4.
 * Otherwise (date's function takes int4, bytea's `internal`; every such type when not `direct`)
 * it is hashed as a one-element array, by the same function: an array built for every row, a
 * seventh of the hash of a table with one timestamptz beside a 1 kB text.
 */
function rowHashSql(direct: boolean) {
  return sql`(
  select pg_catalog.string_agg(pg_catalog.format('coalesce(%s, %s::int8)',
           case when a.atttypid = 'pg_catalog.varchar'::pg_catalog.regtype then pg_catalog.format('pg_catalog.hashtextextended(%I::pg_catalog.text, %s)', a.attname, a.attnum)
                when ${direct} and a.atttypid = 'pg_catalog.timestamptz'::pg_catalog.regtype
                  then pg_catalog.format('pg_catalog.timestamp_hash_extended(pg_catalog.timezone(''00:00''::pg_catalog.interval, %I), %s)', a.attname, a.attnum)
                when ${direct} and a.atttypid = 'pg_catalog.bool'::pg_catalog.regtype then pg_catalog.format('pg_catalog.hashint4extended(%I::pg_catalog.int4, %s)', a.attname, a.attnum)
                when h.fn is not null then pg_catalog.format('%s(%I, %s)', h.fn, a.attname, a.attnum)
                else pg_catalog.format('pg_catalog.hash_array_extended(array[%I], %s)', a.attname, a.attnum) end,
           -a.attnum), ' # ' order by a.attnum)
  from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid
  left join lateral (
    select pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pr.proname) as fn
    from pg_catalog.pg_opclass opc
    join pg_catalog.pg_am am on am.oid = opc.opcmethod and am.amname = 'hash'
    join pg_catalog.pg_amproc p on p.amprocfamily = opc.opcfamily and p.amprocnum = 2 and p.amproclefttype = opc.opcintype and p.amprocrighttype = opc.opcintype
    join pg_catalog.pg_proc pr on pr.oid = p.amproc join pg_catalog.pg_namespace pn on pn.oid = pr.pronamespace
    where opc.opcdefault
      and opc.opcintype = case when t.typtype = 'e' then 'pg_catalog.anyenum'::pg_catalog.regtype
                               when t.typcategory = 'A' then 'pg_catalog.anyarray'::pg_catalog.regtype else t.oid end
      and pr.proargtypes[0] = opc.opcintype
    limit 1) h on true
  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped)`
}

/**
 * An order-independent hash of each table's rows, no sort: `rows:d:sum` of the row hashes above
 * when every column is of an exact type (no text conversion, no md5: several times faster on a
 * large table), else `rows:sum` of a 60-bit md5 prefix of each row's text. With `like` (the
 * contents of a snapshot taken before), a table is hashed as it was then, so a snapshot taken
 * another way compares with one taken now.
 */
async function tableContents(db: Kysely<DB>, like?: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  // The :c: expression is written only when a snapshot taken with it is compared.
  const columnHash = like && Object.values(like).some((hash) => hash.includes(COLUMN_HASH)) ? rowHashSql(false) : sql`null`
  const { rows: all } = await sql<{ qname: string; readable: boolean; exact: boolean; row_hash: string | null; column_hash: string | null }>`
    select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as qname, pg_catalog.has_table_privilege(c.oid, 'SELECT') as readable,
           pg_catalog.current_setting('server_version_num')::int >= 140000 and coalesce((
             select bool_and(
                      (a.attcollation = 0 or coalesce((select co.collisdeterministic from pg_catalog.pg_collation co where co.oid = a.attcollation), false))
                      and (t.oid = any(${EXACT_HASH_TYPES}::text[]::regtype[]) or t.typtype = 'e'
                           or (t.typcategory = 'A' and t.typelem = any(${EXACT_HASH_TYPES}::text[]::regtype[]))))
             from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid
             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), true) as exact,
           ${rowHashSql(true)} as row_hash, ${columnHash} as column_hash
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where ${USER_SCHEMA} and c.relkind = 'r' order by 1`.execute(db)
  const contents: Record<string, string> = Object.fromEntries(all.filter((t) => !t.readable).map((t) => [t.qname, 'not readable by this role']))
  const tables = all.filter((t) => t.readable)
  const read = (t: (typeof tables)[number]) => {
    const before = like?.[t.qname]
    if (t.exact && (before === undefined || before.includes(DIRECT_HASH))) {
      return sql`select ${t.qname} as name, count(*) || ${DIRECT_HASH} || coalesce(sum(${sql.raw(t.row_hash ?? '0')}), 0) as hash from ${sql.raw(t.qname)} x`
    }
    if (t.exact && before?.includes(COLUMN_HASH)) {
      return sql`select ${t.qname} as name, count(*) || ${COLUMN_HASH} || coalesce(sum(${sql.raw(t.column_hash ?? '0')}), 0) as hash from ${sql.raw(t.qname)} x`
    }
    if (t.exact && before?.includes(RECORD_HASH)) {
      return sql`select ${t.qname} as name, count(*) || ${RECORD_HASH} || coalesce(sum(pg_catalog.hash_record_extended(x, 0)), 0) as hash from ${sql.raw(t.qname)} x`
    }
    return sql`select ${t.qname} as name, count(*) || ':' || coalesce(sum(('x' || left(md5(x::text), 15))::bit(60)::bigint), 0) as hash from ${sql.raw(t.qname)} x`
  }
  // No JIT for these reads (to the end of the caller's transaction): each parallel worker compiles
  // the row-hash expressions anew, which costs more than it saves on one pass over a table (the
  // hash statements on a clone of the benchmark's 1.2 GB stand-in, PostgreSQL 15, 12 interleaved
  // pairs: median 413 ms without, 450 ms with).
  await sql`set local jit = off`.execute(db)
  // A few tables per statement: one snapshot per statement is enough inside the caller's transaction.
  for (let i = 0; i < tables.length; i += 20) {
    const reads = tables.slice(i, i + 20).map(read)
    const { rows } = await sql<{ name: string; hash: string }>`${sql.join(reads, sql` union all `)}`.execute(db)
    for (const row of rows) contents[row.name] = row.hash
  }
  return contents
}

/**
 * Reads the catalog snapshot of the database `db` is connected to, in the caller's transaction
 * or a read-only one of its own (one snapshot for all of it); `like`, a snapshot taken before, to
 * compare with: each table's content is hashed the way it was then.
 */
export async function readCatalog(db: Kysely<DB>, like?: CatalogSnapshot): Promise<CatalogSnapshot> {
  // Outside a transaction, one of its own: one snapshot, and the reads' settings (no JIT) hold.
  if (!db.isTransaction) return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute((trx) => readCatalog(trx, like))
  const { rows } = await catalogQuery().execute(db)
  const objects = [...rows, ...(await sequenceValues(db))].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name))
  return { objects, contents: await tableContents(db, like?.contents) }
}

const key = (o: CatalogObject) => `${o.kind} ${o.name}`

/**
 * Each difference from `before` to `after`, by object: `+ view public.v_projection_lag_timing`,
 * `- index public.x`, `~ view public.v: definition differs`, `sequence public.s 0 → 38`,
 * `table public.dot_tools: content differs`. Parts of an object that is itself added or removed
 * (its columns, constraints, indexes) are not listed again.
 */
export function diffCatalog(before: CatalogSnapshot, after: CatalogSnapshot): string[] {
  const a = new Map(before.objects.map((o) => [key(o), o]))
  const b = new Map(after.objects.map((o) => [key(o), o]))
  const relationKinds = new Set(['table', 'view', 'materialized view', 'sequence', 'foreign table'])
  const added = new Set([...b.values()].filter((o) => !a.has(key(o)) && relationKinds.has(o.kind)).map((o) => o.name))
  const removed = new Set([...a.values()].filter((o) => !b.has(key(o)) && relationKinds.has(o.kind)).map((o) => o.name))
  const lines: string[] = []
  for (const o of b.values()) {
    if (a.has(key(o)) || (o.parent && o.parent !== o.name && added.has(o.parent))) continue
    if (o.kind === 'sequence value') continue
    lines.push(`+ ${key(o)}`)
  }
  for (const o of a.values()) {
    if (b.has(key(o)) || (o.parent && o.parent !== o.name && removed.has(o.parent))) continue
    if (o.kind === 'sequence value') continue
    lines.push(`- ${key(o)}`)
  }
  for (const o of a.values()) {
    const now = b.get(key(o))
    if (!now || now.def === o.def) continue
    if (o.kind === 'sequence value') lines.push(`sequence ${o.name} ${o.def} → ${now.def}`)
    else lines.push(`~ ${key(o)}: ${o.def.split('\n')[0] ?? ''} → ${now.def.split('\n')[0] ?? ''}${o.def.includes('\n') || now.def.includes('\n') ? ' (definition differs)' : ''}`)
  }
  for (const [table, hash] of Object.entries(before.contents)) {
    const now = after.contents[table]
    if (now !== undefined && now !== hash) lines.push(`table ${table}: content differs (rows ${hash.split(':')[0] ?? '?'} → ${now.split(':')[0] ?? '?'})`)
  }
  return lines
}

/**
 * Takes the clone's catalog snapshot (in one REPEATABLE READ snapshot) and keeps it in the
 * tool's schema, which no snapshot reads, with the migrations the clone carried from production
 * (a production where tiers ran). Replaces an older one.
 */
export async function storeCatalog(db: Kysely<DB>): Promise<CatalogSnapshot> {
  const { snapshot, carried } = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => ({ snapshot: await readCatalog(trx), carried: (await readLog(trx)).map((e) => e.name) }))
  await db.transaction().execute(async (trx) => {
    await sql`create table if not exists ${sql.id(TOOL_SCHEMA, 'clone_catalog')} (taken_at timestamptz not null default now(), snapshot jsonb not null, carried_log jsonb not null default '[]')`.execute(trx)
    await sql`delete from ${sql.id(TOOL_SCHEMA, 'clone_catalog')}`.execute(trx)
    await sql`insert into ${sql.id(TOOL_SCHEMA, 'clone_catalog')} (snapshot, carried_log) values (${JSON.stringify(snapshot)}::jsonb, ${JSON.stringify(carried)}::jsonb)`.execute(trx)
  })
  return snapshot
}

/** The catalog snapshot kept at clone creation, with the log it carried; null for a clone made before snapshots were kept. */
export async function readStoredCatalog(db: Kysely<DB>): Promise<(CatalogSnapshot & { carried: string[] }) | null> {
  const { rows: present } = await sql<{ ok: boolean }>`select to_regclass(${`${TOOL_SCHEMA}.clone_catalog`}) is not null as ok`.execute(db)
  if (!present[0]?.ok) return null
  const { rows } = await sql<{ snapshot: CatalogSnapshot; carried_log: string[] }>`select c.snapshot, coalesce(to_jsonb(c) -> 'carried_log', '[]') as carried_log from ${sql.id(TOOL_SCHEMA, 'clone_catalog')} c limit 1`.execute(db)
  const row = rows[0]
  return row ? { ...row.snapshot, carried: row.carried_log } : null
}

/**
 * How the clone's log moved since it was made, as `<name> applied` (run on the clone itself) and
 * `<name> reverted` (carried from a production where it ran, then taken down on the clone): empty
 * for a clone that still shows production as it was.
 */
export async function movedSinceCreation(db: Kysely<DB>): Promise<string[]> {
  const carried = (await readStoredCatalog(db))?.carried ?? []
  const log = (await readLog(db)).map((e) => e.name)
  const had = new Set(carried)
  const has = new Set(log)
  return [...log.filter((name) => !had.has(name)).map((name) => `${name} applied`), ...carried.filter((name) => !has.has(name)).map((name) => `${name} reverted`)]
}
