import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertNoForbiddenWrite } from '../../src/guard/forbidden-writes.ts'
import { RefusedError } from '../../src/errors.ts'

describe('forbidden writes (text check)', () => {
  for (const statement of [
    'insert into os_proposal_approvals (proposal_code) values ($1)',
    'INSERT INTO "public"."os_proposal_approvals" values (1)',
    'update os_proposal_approvals set level = $1',
    'delete from public.os_proposal_approvals',
    'truncate table os_proposal_approvals',
    'drop table if exists os_proposal_approvals',
    'merge into os_proposal_approvals a using (select 1) s on false when not matched then insert values (default)',
    'copy os_proposal_approvals from stdin',
  ]) {
    it(`refuses: ${statement}`, () => assert.throws(() => assertNoForbiddenWrite(statement), RefusedError))
  }
  it('lets reads through', () => {
    assertNoForbiddenWrite('select id from os_proposal_approvals where proposal_code = $1 for share')
    assertNoForbiddenWrite('select count(*) from os_proposal_approvals')
  })
})
