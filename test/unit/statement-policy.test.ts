import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { loadStatementParser, statementRefusal } from '../../src/guard/statement-policy.ts'

before(() => loadStatementParser())

const body = { transactionControl: false }

describe('statement policy: writes to os_proposal_approvals (PostgreSQL parser)', () => {
  for (const statement of [
    'insert into os_proposal_approvals (proposal_code) values ($1)',
    'INSERT INTO "public"."os_proposal_approvals" values (1)',
    'update os_proposal_approvals set level = $1',
    'delete from public.os_proposal_approvals',
    'truncate table os_proposal_approvals',
    'drop table if exists os_proposal_approvals',
    'merge into os_proposal_approvals a using (select 1) s on false when not matched then insert values (default)',
    'copy os_proposal_approvals from stdin',
    'insert /* c */ into -- c\n "os_proposal_approvals" values (1)',
    'insert into U&"os_proposal_approval\\0073" values (1)',
    'truncate t, os_proposal_approvals',
    'with d as (delete from os_proposal_approvals returning 1) select * from d',
    'prepare p as update os_proposal_approvals set level = 1',
    'create view v as select * from os_proposal_approvals',
    'create rule r as on insert to t do also delete from os_proposal_approvals',
    'create trigger t after insert on os_proposal_approvals for each row execute function f()',
    'create table c () inherits (os_proposal_approvals)',
    'alter table os_proposal_approvals disable row level security',
    'create function f() returns void language sql as $$ delete from os_proposal_approvals $$',
    'create function f() returns void begin atomic delete from os_proposal_approvals; end',
  ]) {
    it(`refuses: ${statement}`, () => {
      assert.match(statementRefusal(statement, body)?.reason ?? 'let through', /os_proposal_approvals/)
    })
  }
  it('lets reads through', () => {
    for (const read of [
      'select id from os_proposal_approvals where proposal_code = $1 for share',
      'select count(*) from os_proposal_approvals a join t on true',
      'insert into t select * from os_proposal_approvals',
      'delete from t using os_proposal_approvals',
      'copy os_proposal_approvals to stdout',
    ]) {
      assert.equal(statementRefusal(read, body), null, read)
    }
  })
})

describe('statement policy: the other classes', () => {
  for (const [statement, reason] of [
    ['commit', /^COMMIT is transaction control/],
    ['select 1; rollback', /^ROLLBACK is transaction control/],
    ['savepoint a', /^SAVEPOINT is transaction control/],
    ["prepare transaction 'x'", /^PREPARE TRANSACTION is transaction control/],
    ['alter database directus rename to x', /^ALTER … RENAME of a database is administration/],
    ['create role r superuser', /^CREATE ROLE is database, role or server administration/],
    ["alter system set work_mem = '1MB'", /^ALTER SYSTEM is/],
    ["load 'x'", /^LOAD is/],
    ['create extension dblink', /^CREATE EXTENSION dblink opens connections/],
    ["create server s foreign data wrapper postgres_fdw options (dbname 'directus')", /^CREATE SERVER opens connections/],
    ["copy t to program 'sh'", /^COPY … TO PROGRAM runs a program/],
    ["copy t from '/etc/passwd'", /^COPY … FROM '\/etc\/passwd' reads or writes a server file/],
    ['select pg_terminate_backend(pid) from pg_stat_activity', /^pg_terminate_backend\(\) acts on other sessions/],
    ["select set_config('role', 'postgres', true)", /changes who the session is/],
    ['select 1 +', /does not parse/],
  ] as const) {
    it(`refuses: ${statement}`, () => {
      assert.match(statementRefusal(statement, body)?.reason ?? 'let through', reason)
    })
  }
  it("lets the tool's own transaction control and ordinary DDL through", () => {
    for (const statement of ['begin', 'commit', 'savepoint "s"', 'rollback to savepoint "s"']) {
      assert.equal(statementRefusal(statement, { transactionControl: true }), null, statement)
    }
    for (const statement of ['create table t (id int)', 'create extension pgcrypto', 'set local statement_timeout = 1000', 'copy t from stdin', 'create or replace view v as select 1']) {
      assert.equal(statementRefusal(statement, body), null, statement)
    }
  })
})
