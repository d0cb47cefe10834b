import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'
import { GovMigrateError, RefusedError } from '../errors.ts'
import { APPROVALS_SCHEMA, APPROVALS_TABLE, TOOL_SCHEMA, type Queryable } from '../guard/connection-facts.ts'
import { ident } from './url.ts'

export { writerRoleName } from '../guard/guard.ts'

/** What the role may not be or do: checked when it is made and whenever it is reused. */
const ATTRIBUTES = 'login nosuperuser nocreatedb nocreaterole noreplication nobypassrls noinherit'

interface RoleRow {
  rolsuper: boolean
  rolcreatedb: boolean
  rolcreaterole: boolean
  rolreplication: boolean
  rolbypassrls: boolean
  memberships: string[]
}

/**
 * Creates the clone's role (LOGIN, no other attribute, member of nothing), or makes an
 * existing one (left by a clone of the same name whose golden snapshot is kept) so again.
 * Runs on the admin connection.
 */
export async function ensureWriterRole(admin: Queryable, role: string): Promise<void> {
  const { rows } = await admin.query<{ n: number }>('select count(*)::int as n from pg_catalog.pg_roles where rolname = $1', [role])
  try {
    await admin.query(`${rows[0]?.n ? 'alter' : 'create'} role ${ident(role)} ${ATTRIBUTES}`)
  } catch (error) {
    throw new GovMigrateError(
      `cannot create the clone's role "${role}": ${error instanceof Error ? error.message : String(error)}`,
      'use an admin connection whose role may create roles (CREATEROLE or superuser): adminUrl in kysely.config.ts or --url',
      { cause: error },
    )
  }
  // An admin role that is not a superuser hands objects to the role only as a member of it
  // (ALTER … OWNER TO needs SET ROLE to the new owner); the role itself stays a member of nothing.
  const self = await admin.query<{ su: boolean; member: boolean }>(
    `select r.rolsuper as su, pg_catalog.pg_has_role(current_user, $1, 'MEMBER') as member from pg_catalog.pg_roles r where r.rolname = current_user`,
    [role],
  )
  if (self.rows[0] && !self.rows[0].su && !self.rows[0].member) await admin.query(`grant ${ident(role)} to current_user`)
  const found = await admin.query<RoleRow>(
    `select r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls,
            array(select g.rolname::text from pg_catalog.pg_auth_members m join pg_catalog.pg_roles g on g.oid = m.roleid where m.member = r.oid) as memberships
     from pg_catalog.pg_roles r where r.rolname = $1`,
    [role],
  )
  const r = found.rows[0]
  if (!r || r.rolsuper || r.rolcreatedb || r.rolcreaterole || r.rolreplication || r.rolbypassrls || r.memberships.length > 0) {
    throw new RefusedError(
      `refused: the clone role "${role}" has privileges a clone's role must not have${r && r.memberships.length > 0 ? ` (member of ${r.memberships.join(', ')})` : ''}`,
      `drop the role "${role}" (it is made by \`migrate clone create\`) and clone again`,
    )
  }
}

/** SCRAM-SHA-256 verifier of `password`: the server stores it, and never sees the password in a statement. */
function scramVerifier(password: string): string {
  const salt = randomBytes(16)
  const iterations = 4096
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256')
  const clientKey = createHmac('sha256', salted).update('Client Key').digest()
  const storedKey = createHash('sha256').update(clientKey).digest()
  const serverKey = createHmac('sha256', salted).update('Server Key').digest()
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
}

/** One random password per role and process; a concurrent run sets its own, and each re-asserts its own when refused. */
const passwords = new Map<string, string>()

/**
 * Gives the clone's role this process's password (ALTER ROLE … PASSWORD, on the admin
 * connection) and returns it. The password exists only in this process's memory.
 */
export async function assertWriterPassword(admin: Queryable, role: string): Promise<string> {
  let password = passwords.get(role)
  if (!password) {
    password = randomBytes(24).toString('base64url')
    passwords.set(role, password)
  }
  const verifier = scramVerifier(password)
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(`alter role ${ident(role)} password '${verifier}'`)
      return password
    } catch (error) {
      // Two runs altering the role at the same moment: PostgreSQL refuses the later update of the
      // catalog row ("tuple concurrently updated", XX000). Ours goes in once theirs is done.
      if (attempt < CONCURRENT_UPDATE_RETRIES && /tuple concurrently updated/.test(String(error))) {
        await new Promise((done) => setTimeout(done, 10 + Math.random() * 40 * attempt))
        continue
      }
      throw passwordError(role, error)
    }
  }
}

const CONCURRENT_UPDATE_RETRIES = 20

function passwordError(role: string, error: unknown): GovMigrateError {
  return new GovMigrateError(
    `cannot set the password of the clone role "${role}": ${error instanceof Error ? error.message : String(error)}`,
    'connect with the admin role that made the clone (adminUrl in kysely.config.ts, or --url with its user)',
    { cause: error },
  )
}

/** The one-line refusal when the server does not let the clone's role log in. */
export function loginRefusal(role: string, database: string, error: unknown): RefusedError {
  const message = error instanceof Error ? error.message : String(error)
  return new RefusedError(
    `refused: the server does not let the clone role "${role}" log in (${message}); the tool never falls back to the admin session`,
    `allow password logins for it in pg_hba.conf, e.g. \`host ${database} ${role} <client address>/32 scram-sha-256\`, then reload the server (select pg_reload_conf())`,
    { cause: error },
  )
}

/** The login errors a server gives for pg_hba, a wrong password or a role that may not log in. */
export function isLoginError(error: unknown): boolean {
  const code = (error as { code?: string }).code
  return code === '28000' || code === '28P01'
}

interface OwnedObject {
  kind: string
  name: string
}

/**
 * Every object of the clone the role is to own, as `ALTER <kind> <name> OWNER TO`
 * understands it. Left out: the system schemas, the tool's schema, the approvals table and
 * its schema, extension members (an extension's C functions such as `dblink_connect_u`
 * stay with their owner), foreign tables and servers (their user mappings hold other
 * credentials), sequences owned by a column (they follow their table), array and
 * multirange types (they follow their element type) and table row types.
 */
const OBJECTS_SQL = `
  with schemas as (
    select n.oid, n.nspname from pg_catalog.pg_namespace n
    where n.nspname not in ('pg_catalog', 'information_schema', $1) and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
  ), members as (
    select d.classid, d.objid from pg_catalog.pg_depend d where d.deptype = 'e'
  ), approvals as (
    select pg_catalog.to_regclass($3) as oid
  )
  select 'schema' as kind, pg_catalog.quote_ident(s.nspname) as name from schemas s
  where s.nspname <> $2 and not exists (select 1 from members m where m.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass and m.objid = s.oid)
  union all
  select case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence' else 'table' end,
         c.oid::pg_catalog.regclass::text
  from pg_catalog.pg_class c join schemas s on s.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'v', 'm', 'S')
    and c.oid is distinct from (select oid from approvals)
    and not exists (select 1 from members m where m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and m.objid = c.oid)
    and not (c.relkind = 'S' and exists (select 1 from pg_catalog.pg_depend d
             where d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.objid = c.oid and d.deptype in ('a', 'i')))
  union all
  select 'routine', p.oid::pg_catalog.regprocedure::text
  from pg_catalog.pg_proc p join schemas s on s.oid = p.pronamespace
  where not exists (select 1 from members m where m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass and m.objid = p.oid)
  union all
  select case t.typtype when 'd' then 'domain' else 'type' end, t.oid::pg_catalog.regtype::text
  from pg_catalog.pg_type t join schemas s on s.oid = t.typnamespace
  where t.typtype in ('b', 'c', 'd', 'e', 'r')
    and (t.typtype <> 'c' or (select c.relkind from pg_catalog.pg_class c where c.oid = t.typrelid) = 'c')
    and not exists (select 1 from pg_catalog.pg_type e where e.typarray = t.oid)
    and not exists (select 1 from members m where m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass and m.objid = t.oid)
  union all
  select 'collation', pg_catalog.quote_ident(s.nspname) || '.' || pg_catalog.quote_ident(o.collname)
  from pg_catalog.pg_collation o join schemas s on s.oid = o.collnamespace
  where not exists (select 1 from members m where m.classid = 'pg_catalog.pg_collation'::pg_catalog.regclass and m.objid = o.oid)
  union all
  select 'operator', o.oid::pg_catalog.regoperator::text
  from pg_catalog.pg_operator o join schemas s on s.oid = o.oprnamespace
  where not exists (select 1 from members m where m.classid = 'pg_catalog.pg_operator'::pg_catalog.regclass and m.objid = o.oid)
  union all
  select 'text search configuration', o.oid::pg_catalog.regconfig::text
  from pg_catalog.pg_ts_config o join schemas s on s.oid = o.cfgnamespace
  where not exists (select 1 from members m where m.classid = 'pg_catalog.pg_ts_config'::pg_catalog.regclass and m.objid = o.oid)
  union all
  select 'text search dictionary', o.oid::pg_catalog.regdictionary::text
  from pg_catalog.pg_ts_dict o join schemas s on s.oid = o.dictnamespace
  where not exists (select 1 from members m where m.classid = 'pg_catalog.pg_ts_dict'::pg_catalog.regclass and m.objid = o.oid)
  union all
  select 'statistics', pg_catalog.quote_ident(s.nspname) || '.' || pg_catalog.quote_ident(o.stxname)
  from pg_catalog.pg_statistic_ext o join schemas s on s.oid = o.stxnamespace
  union all
  select 'large object', o.oid::text from pg_catalog.pg_largeobject_metadata o`

/**
 * Hands the clone to its role, object by object (never `REASSIGN OWNED`: that also moves
 * shared objects such as the production database itself). Runs on the admin connection to
 * the clone, in one transaction. After it, the role owns the database and every object in
 * it except: the approvals table (the role may only read it, PUBLIC nothing), the schema
 * holding it (the role may use it and create in it, but not rename it or drop what it does
 * not own), and the tool's schema with the marker (read only) and the log tables (the role
 * writes their rows).
 */
export async function handOverClone(admin: Queryable, database: string, role: string): Promise<void> {
  const to = ident(role)
  const approvals = `${APPROVALS_SCHEMA}.${APPROVALS_TABLE}`
  await admin.query('begin')
  try {
    // The approvals' schema: owned by the admin role, usable by the clone's role (first, while
    // the admin role still owns the database and so `public`, owned by pg_database_owner).
    await admin.query(`create schema if not exists ${ident(APPROVALS_SCHEMA)}`)
    await admin.query(`alter schema ${ident(APPROVALS_SCHEMA)} owner to current_user`)
    await admin.query(`grant usage, create on schema ${ident(APPROVALS_SCHEMA)} to ${to}`)
    const { rows } = await admin.query<OwnedObject>(OBJECTS_SQL, [TOOL_SCHEMA, APPROVALS_SCHEMA, approvals])
    // One round trip for them all (a production has hundreds of objects): the statements are the
    // server's own names, sent as one simple query inside this transaction.
    if (rows.length > 0) await admin.query(rows.map((object) => `alter ${object.kind} ${object.name} owner to ${to};`).join('\n'))
    const present = await admin.query<{ ok: boolean }>('select pg_catalog.to_regclass($1) is not null as ok', [approvals])
    if (present.rows[0]?.ok) {
      await admin.query(`alter table ${ident(APPROVALS_SCHEMA)}.${ident(APPROVALS_TABLE)} owner to current_user`)
      await admin.query(`revoke all on table ${ident(APPROVALS_SCHEMA)}.${ident(APPROVALS_TABLE)} from public`)
      await admin.query(`grant select on table ${ident(APPROVALS_SCHEMA)}.${ident(APPROVALS_TABLE)} to ${to}`)
    }
    // The tool's schema: the marker is read-only for the role; the log tables take its rows.
    await admin.query(`grant usage, create on schema ${ident(TOOL_SCHEMA)} to ${to}`)
    const tool = await admin.query<{ name: string; relkind: string }>(
      `select pg_catalog.quote_ident(c.relname) as name, c.relkind::text as relkind from pg_catalog.pg_class c
       where c.relnamespace = pg_catalog.to_regnamespace($1) and c.relkind in ('r', 'S')`,
      [TOOL_SCHEMA],
    )
    const grants = tool.rows.map((t) => {
      const name = `${ident(TOOL_SCHEMA)}.${t.name}`
      if (t.relkind === 'S') return `grant usage, select on sequence ${name} to ${to};`
      if (t.name === 'clone_marker') return `grant select on table ${name} to ${to};`
      return `grant select, insert, update, delete on table ${name} to ${to};`
    })
    await admin.query([...grants, `alter database ${ident(database)} owner to ${to};`].join('\n'))
    await admin.query('commit')
  } catch (error) {
    await admin.query('rollback').catch(() => undefined)
    throw error
  }
}

/**
 * Drops the clone's role once nothing on the server depends on it any more (a golden
 * snapshot of the clone still does: its objects belong to the role). True when dropped.
 */
export async function dropWriterRoleIfUnused(admin: Queryable, role: string): Promise<boolean> {
  const { rows } = await admin.query<{ exists: boolean; deps: number }>(
    `select exists (select 1 from pg_catalog.pg_roles where rolname = $1) as exists,
            (select count(*)::int from pg_catalog.pg_shdepend d join pg_catalog.pg_roles r on r.oid = d.refobjid
             where r.rolname = $1 and d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass) as deps`,
    [role],
  )
  const row = rows[0]
  if (!row?.exists || row.deps > 0) return false
  await admin.query(`drop role if exists ${ident(role)}`)
  return true
}
