/**
 * The statement policy: every statement the guarded pool sends is parsed by
 * PostgreSQL's own parser (libpg-query) and refused, before it reaches the server,
 * when it is one of the classes below. This is the clear-error layer; the clone
 * role (no superuser, no write on the approvals table) is the layer that holds when
 * a body is opaque to a parser (a DO block, a PL/pgSQL function).
 *
 * Nothing here touches a database.
 */
import type { parseSync as ParseSync } from 'libpg-query'

/** Tables no statement of this tool or of a migration may ever write (DOMAIN.md, "Forbidden everywhere"). */
export const FORBIDDEN_TABLES: readonly string[] = ['os_proposal_approvals']

/** Why a statement is refused, in one line, and what to do instead. */
export interface StatementRefusal {
  /** `COMMIT is transaction control`, `CREATE EXTENSION dblink opens connections to other databases`, … */
  reason: string
  fix: string
}

export interface PolicyOptions {
  /**
   * Transaction control is the tool's own (its begin, commit and savepoints); a
   * migration body may not send it. False while a body runs.
   */
  transactionControl: boolean
}

const FIX = {
  transaction:
    'remove it: the tool begins and commits each migration in one transaction, with its delta check and log entry; a failing body rolls back by throwing',
  administration:
    'a migration changes objects inside its own database only; databases, roles and the server are administered outside migrations',
  foreign: 'a migration reaches its own database only: no extension, server or function that connects elsewhere',
  files: 'put the data in the migration itself, or use COPY … FROM STDIN / TO STDOUT',
  sessions: 'a migration leaves other sessions, the run lock and the server alone',
  approvals: 'approvals are a human act recorded by the ratification process; migrations and this tool only read them',
} as const

let ready: Promise<void> | undefined
let parser: typeof ParseSync | undefined

/**
 * Loads the parser (WebAssembly) once; `statementRefusal` needs it loaded. The package is
 * imported here, not at the top: loading it costs start-up, and only pools that check the
 * policy (and the fixture) need it.
 */
export function loadStatementParser(): Promise<void> {
  ready ??= import('libpg-query').then(async (module) => {
    await module.loadModule()
    parser = module.parseSync
  })
  return ready
}

/** PostgreSQL's parse tree of `sqlText`; throws when the parser is not loaded (so a check fails closed). */
function parseSync(sqlText: string): unknown {
  if (!parser) throw new Error('the statement parser is not loaded (call loadStatementParser first)')
  return parser(sqlText)
}

type Json = { [key: string]: unknown }

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

const TRANSACTION_KIND: Readonly<Record<string, string>> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE SAVEPOINT',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK TO SAVEPOINT',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
}

/** Statements that administer the server, its databases or its roles. */
const ADMINISTRATION: Readonly<Record<string, string>> = {
  CreatedbStmt: 'CREATE DATABASE',
  DropdbStmt: 'DROP DATABASE',
  AlterDatabaseStmt: 'ALTER DATABASE',
  AlterDatabaseSetStmt: 'ALTER DATABASE … SET',
  AlterDatabaseRefreshCollStmt: 'ALTER DATABASE … REFRESH COLLATION VERSION',
  CreateRoleStmt: 'CREATE ROLE',
  AlterRoleStmt: 'ALTER ROLE',
  AlterRoleSetStmt: 'ALTER ROLE … SET',
  DropRoleStmt: 'DROP ROLE',
  GrantRoleStmt: 'GRANT/REVOKE of a role',
  ReassignOwnedStmt: 'REASSIGN OWNED',
  DropOwnedStmt: 'DROP OWNED',
  AlterSystemStmt: 'ALTER SYSTEM',
  LoadStmt: 'LOAD',
  CreateTableSpaceStmt: 'CREATE TABLESPACE',
  DropTableSpaceStmt: 'DROP TABLESPACE',
  AlterTableSpaceOptionsStmt: 'ALTER TABLESPACE',
  AlterTableMoveAllStmt: 'ALTER TABLE ALL IN TABLESPACE',
  CheckPointStmt: 'CHECKPOINT',
  CreateEventTrigStmt: 'CREATE EVENT TRIGGER',
  AlterEventTrigStmt: 'ALTER EVENT TRIGGER',
  CreatePublicationStmt: 'CREATE PUBLICATION',
  AlterPublicationStmt: 'ALTER PUBLICATION',
}

/** Statements that open, or prepare, connections to another database. */
const FOREIGN: Readonly<Record<string, string>> = {
  CreateFdwStmt: 'CREATE FOREIGN DATA WRAPPER',
  AlterFdwStmt: 'ALTER FOREIGN DATA WRAPPER',
  CreateForeignServerStmt: 'CREATE SERVER',
  AlterForeignServerStmt: 'ALTER SERVER',
  CreateUserMappingStmt: 'CREATE USER MAPPING',
  AlterUserMappingStmt: 'ALTER USER MAPPING',
  ImportForeignSchemaStmt: 'IMPORT FOREIGN SCHEMA',
  CreateForeignTableStmt: 'CREATE FOREIGN TABLE',
  CreateSubscriptionStmt: 'CREATE SUBSCRIPTION',
  AlterSubscriptionStmt: 'ALTER SUBSCRIPTION',
}

/** Extensions whose purpose is to reach another database or the server's files. */
const FOREIGN_EXTENSION = /^(dblink|postgres_fdw|.*_fdw|pg_background|adminpack|file_fdw)$/

/** Functions, by name in any schema, and the class they belong to. */
const FUNCTIONS: ReadonlyArray<[RegExp, string, keyof typeof FIX]> = [
  [/^dblink/, 'opens a connection to another database', 'foreign'],
  [/^(pg_terminate_backend|pg_cancel_backend)$/, 'acts on other sessions', 'sessions'],
  [/^pg_advisory_unlock(_all|_shared)?$/, 'can release the run lock other runs wait on', 'sessions'],
  [/^(pg_reload_conf|pg_rotate_logfile|pg_promote|pg_switch_wal|pg_create_restore_point|pg_log_backend_memory_contexts)$/, 'administers the server', 'administration'],
  [/^(pg_read_file|pg_read_binary_file|pg_ls_dir|pg_ls_\w+dir|pg_stat_file|lo_import|lo_export|pg_file_\w+)$/, "reads or writes the server's files", 'files'],
]

/** Object kinds whose rename, comment, grant or owner change is administration. */
const SHARED_OBJECTS = new Set(['OBJECT_DATABASE', 'OBJECT_ROLE', 'OBJECT_TABLESPACE', 'OBJECT_FDW', 'OBJECT_FOREIGN_SERVER', 'OBJECT_SUBSCRIPTION', 'OBJECT_EVENT_TRIGGER'])

/** Positions where a relation is only read (a FROM item, a MERGE source, a DELETE … USING). */
const READ_KEYS = new Set(['fromClause', 'usingClause', 'sourceRelation'])

/** Statements that make later writes reach a relation they name, even in a read position. */
const WRITE_THROUGH = new Set(['ViewStmt', 'RuleStmt', 'CreateTrigStmt', 'CreatePolicyStmt', 'AlterPolicyStmt'])

class Refused extends Error {
  constructor(readonly refusal: StatementRefusal) {
    super(refusal.reason)
  }
}

function refuse(reason: string, fix: keyof typeof FIX): never {
  throw new Refused({ reason, fix: FIX[fix] })
}

function nameList(items: unknown): string[] {
  return Array.isArray(items) ? items.map((item) => (isObject(item) && isObject(item.String) ? str(item.String.sval) : '')) : []
}

function forbidden(name: string): boolean {
  return FORBIDDEN_TABLES.includes(name)
}

interface Walk {
  options: PolicyOptions
  /** Node types enclosing the current node, outermost first. */
  types: string[]
  /** The nodes of `types`. */
  nodes: Json[]
  /** Keys from the statement to the current node. */
  keys: string[]
}

/** Keys that only nest a FROM item further (a join's two sides). */
const STRUCTURAL_KEYS = new Set(['larg', 'rarg'])

/**
 * A relation naming a forbidden table is allowed in a plain read position only: a
 * FROM item, a MERGE source, DELETE … USING, COPY … TO. Anywhere else (a write's
 * target, DDL on it, a table inheriting from it) and under a view, rule, trigger or
 * policy (through which later writes would reach it) it is refused.
 */
function checkRelation(node: Json, walk: Walk): void {
  const name = str(node.relname)
  if (!forbidden(name)) return
  const writeThrough = walk.types.find((type) => WRITE_THROUGH.has(type))
  if (writeThrough) refuse(`${statementName(writeThrough)} over ${name} would let writes reach it, which is forbidden everywhere`, 'approvals')
  const lastKey = [...walk.keys].reverse().find((key) => !STRUCTURAL_KEYS.has(key))
  if (lastKey !== undefined && READ_KEYS.has(lastKey)) return
  const enclosing = walk.types.at(-1)
  if (enclosing === 'CopyStmt' && lastKey === 'relation' && walk.nodes.at(-1)?.is_from !== true) return
  const statement = [...walk.types].reverse().find((type) => type.endsWith('Stmt')) ?? 'a statement'
  refuse(`${statementName(statement)} targets ${name}, which is forbidden everywhere`, 'approvals')
}

function statementName(type: string): string {
  const known: Readonly<Record<string, string>> = {
    InsertStmt: 'INSERT',
    UpdateStmt: 'UPDATE',
    DeleteStmt: 'DELETE',
    MergeStmt: 'MERGE',
    TruncateStmt: 'TRUNCATE',
    CopyStmt: 'COPY … FROM',
    AlterTableStmt: 'ALTER TABLE',
    RenameStmt: 'ALTER … RENAME',
    ViewStmt: 'CREATE VIEW',
    RuleStmt: 'CREATE RULE',
    CreateTrigStmt: 'CREATE TRIGGER',
    CreatePolicyStmt: 'CREATE POLICY',
    AlterPolicyStmt: 'ALTER POLICY',
    CreateStmt: 'CREATE TABLE',
    GrantStmt: 'GRANT/REVOKE',
    LockStmt: 'LOCK',
    AlterObjectSchemaStmt: 'ALTER … SET SCHEMA',
    IndexStmt: 'CREATE INDEX',
    AlterOwnerStmt: 'ALTER … OWNER TO',
    CommentStmt: 'COMMENT ON',
    SecLabelStmt: 'SECURITY LABEL',
  }
  return known[type] ?? type.replace(/Stmt$/, '').toUpperCase()
}

function checkNode(type: string, node: Json, walk: Walk): void {
  if (type === 'TransactionStmt') {
    if (!walk.options.transactionControl) {
      const kind = TRANSACTION_KIND[str(node.kind)] ?? 'transaction control'
      refuse(`${kind} is transaction control, which only the tool sends`, 'transaction')
    }
    return
  }
  const admin = ADMINISTRATION[type]
  if (admin) refuse(`${admin} is database, role or server administration`, 'administration')
  const foreign = FOREIGN[type]
  if (foreign) refuse(`${foreign} opens connections to other databases`, 'foreign')
  switch (type) {
    case 'CreateExtensionStmt': {
      const name = str(node.extname)
      if (FOREIGN_EXTENSION.test(name)) refuse(`CREATE EXTENSION ${name} opens connections to other databases or the server's files`, 'foreign')
      return
    }
    case 'CopyStmt':
      if (node.is_program === true) refuse(`COPY … ${node.is_from === true ? 'FROM' : 'TO'} PROGRAM runs a program on the server`, 'files')
      if (typeof node.filename === 'string') refuse(`COPY … ${node.is_from === true ? 'FROM' : 'TO'} '${node.filename}' reads or writes a server file`, 'files')
      return
    case 'FuncCall': {
      const name = nameList(node.funcname).at(-1)?.toLowerCase() ?? ''
      for (const [pattern, what, kind] of FUNCTIONS) if (pattern.test(name)) refuse(`${name}() ${what}`, kind)
      if (name === 'set_config') {
        const first = Array.isArray(node.args) && isObject(node.args[0]) && isObject(node.args[0].A_Const) ? node.args[0].A_Const : undefined
        const setting = isObject(first?.sval) ? str(first.sval.sval).toLowerCase() : ''
        if (setting === 'role' || setting === 'session_authorization') refuse(`set_config('${setting}', …) changes who the session is`, 'administration')
      }
      return
    }
    case 'VariableSetStmt': {
      const name = str(node.name).toLowerCase()
      if (name === 'role' || name === 'session_authorization') refuse(`SET ${name.toUpperCase().replace('_', ' ')} changes who the session is`, 'administration')
      return
    }
    case 'RenameStmt':
    case 'AlterOwnerStmt':
    case 'CommentStmt':
    case 'SecLabelStmt': {
      const kind = str(node.renameType ?? node.objectType ?? node.objtype)
      if (SHARED_OBJECTS.has(kind)) refuse(`${statementName(type)} of a ${kind.replace('OBJECT_', '').toLowerCase()} is administration`, 'administration')
      return
    }
    case 'GrantStmt':
      if (SHARED_OBJECTS.has(str(node.objtype))) refuse(`GRANT/REVOKE on a ${str(node.objtype).replace('OBJECT_', '').toLowerCase()} is administration`, 'administration')
      return
    case 'DropStmt': {
      for (const object of Array.isArray(node.objects) ? node.objects : []) {
        const names = isObject(object) && isObject(object.List) ? nameList(object.List.items) : []
        const last = names.at(-1)
        if (last && forbidden(last)) refuse(`DROP of ${last}, which is forbidden everywhere`, 'approvals')
      }
      if (SHARED_OBJECTS.has(str(node.removeType))) refuse(`DROP of a ${str(node.removeType).replace('OBJECT_', '').toLowerCase()} is administration`, 'administration')
      return
    }
    case 'CreateFunctionStmt':
      return checkSqlFunctionBody(node, walk)
  }
}

/** A LANGUAGE sql body is SQL the parser can read: it is held to the same policy. */
function checkSqlFunctionBody(node: Json, walk: Walk): void {
  const options = Array.isArray(node.options) ? node.options.filter(isObject).map((o) => (isObject(o.DefElem) ? o.DefElem : {})) : []
  const language = options.find((o) => o.defname === 'language')
  const languageName = isObject(language?.arg) && isObject(language.arg.String) ? str(language.arg.String.sval) : ''
  const body = options.find((o) => o.defname === 'as')
  if (languageName.toLowerCase() !== 'sql' || !body) return
  const text = isObject(body.arg) && isObject(body.arg.List) ? nameList(body.arg.List.items).join('\n') : ''
  if (text.trim() === '') return
  const inner = checkText(text, walk.options)
  if (inner) refuse(`a LANGUAGE sql function whose body does this: ${inner.reason}`, 'approvals')
}

function visit(value: unknown, walk: Walk): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, walk)
    return
  }
  if (!isObject(value)) return
  // A RangeVar appears wrapped ({ RangeVar: {…} }) or, in typed fields, bare.
  if (typeof value.relname === 'string') checkRelation(value, walk)
  for (const [key, child] of Object.entries(value)) {
    if (/^[A-Z]/.test(key) && isObject(child)) {
      checkNode(key, child, walk)
      walk.types.push(key)
      walk.nodes.push(child)
      visit(child, walk)
      walk.types.pop()
      walk.nodes.pop()
    } else if (typeof child === 'object' && child !== null) {
      walk.keys.push(key)
      visit(child, walk)
      walk.keys.pop()
    }
  }
}

function checkText(sqlText: string, options: PolicyOptions): StatementRefusal | null {
  let tree: unknown
  try {
    tree = parseSync(sqlText)
  } catch (error) {
    return {
      reason: `the statement does not parse (${error instanceof Error ? error.message : String(error)}), so it cannot be checked`,
      fix: 'correct the SQL; every statement a migration sends is checked by PostgreSQL’s parser first',
    }
  }
  const statements = isObject(tree) && Array.isArray(tree.stmts) ? tree.stmts : []
  try {
    for (const statement of statements) {
      if (isObject(statement)) visit(statement.stmt, { options, types: [], nodes: [], keys: [] })
    }
  } catch (error) {
    if (error instanceof Refused) return error.refusal
    throw error
  }
  return null
}

/**
 * The relations (tables, views) a SQL script creates, as `schema.name` (`public` when
 * unqualified). Needs `loadStatementParser()` first.
 */
export function createdRelations(sqlText: string): string[] {
  const names: string[] = []
  const tree: unknown = parseSync(sqlText)
  const statements = isObject(tree) && Array.isArray(tree.stmts) ? tree.stmts : []
  for (const statement of statements) {
    const stmt = isObject(statement) && isObject(statement.stmt) ? statement.stmt : {}
    const created = isObject(stmt.CreateStmt) ? stmt.CreateStmt.relation : isObject(stmt.ViewStmt) ? stmt.ViewStmt.view : undefined
    if (isObject(created)) names.push(`${str(created.schemaname) || 'public'}.${str(created.relname)}`)
  }
  return names
}

/**
 * Why `sqlText` may not be sent, or null when it may. Needs `loadStatementParser()` first.
 *
 * ### Examples
 * ```ts
 * statementRefusal('commit', { transactionControl: false })?.reason
 * // => 'COMMIT is transaction control, which only the tool sends'
 * statementRefusal('truncate t, "os_proposal_approvals"', { transactionControl: true })?.reason
 * // => 'TRUNCATE targets os_proposal_approvals, which is forbidden everywhere'
 * ```
 */
export function statementRefusal(sqlText: string, options: PolicyOptions): StatementRefusal | null {
  return checkText(sqlText, options)
}
