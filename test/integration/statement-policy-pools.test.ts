/**
 * Which pools parse their statements. The read-only channel does not (no migration body runs
 * there, and it is the start-up path of `status` and `fingerprint`): what keeps it from writing
 * is the server, its sessions being READ ONLY. Every pool that can run a migration body parses
 * every statement and refuses the policy's classes before they reach the server.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CompiledQuery, sql } from 'kysely'
import { markedClone, scalar, standIn } from '../helpers.ts'
import { openDatabase } from '../../src/db/database.ts'
import { GuardedPool } from '../../src/db/guarded-pool.ts'
import { asMigrationBody } from '../../src/db/statement-origin.ts'
import { StatementRefusedError } from '../../src/errors.ts'

/** SQLSTATE 25006: cannot execute … in a read-only transaction. */
async function refusedByServerAsReadOnly(run: () => Promise<unknown>): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(!(error instanceof StatementRefusedError), 'refused by the tool, not by the server')
    assert.equal((error as { code?: string }).code, '25006', String(error))
    return true
  })
}

describe('statement policy per pool', () => {
  it('the read-only channel does not parse: the server refuses its writes (READ ONLY)', async () => {
    const production = await standIn()
    for (const url of [production, await markedClone(production)]) {
      const { db, close } = openDatabase(url, { policy: 'any', readOnly: true, max: 1 })
      try {
        assert.equal((await sql<{ v: string }>`select current_setting('default_transaction_read_only') as v`.execute(db)).rows[0]?.v, 'on')
        await refusedByServerAsReadOnly(() => sql`create table gov_ro_probe (id int)`.execute(db))
        await refusedByServerAsReadOnly(() => sql`insert into os_proposal_approvals (proposal_code, approver, level) values ('APR-RO-PROBE', 'probe', 'L4')`.execute(db))
        await refusedByServerAsReadOnly(() => db.executeQuery(CompiledQuery.raw('update governance_collection_inventory set label = label')))
        await refusedByServerAsReadOnly(() => db.transaction().execute((trx) => sql`delete from dot_tools`.execute(trx)))
        // A migration body never runs here: any statement it sends is refused before the server.
        await assert.rejects(() => asMigrationBody(() => sql`select 1`.execute(db)), StatementRefusedError)
      } finally {
        await close()
      }
      assert.equal(await scalar<boolean>(url, `select to_regclass('gov_ro_probe') is null as v`), true)
      assert.equal(await scalar<number>(url, `select count(*)::int as v from os_proposal_approvals where proposal_code = 'APR-RO-PROBE'`), 0)
    }
  })

  it('every pool that can run a migration body parses: refused before the server', async () => {
    const clone = await markedClone(await standIn())
    const { db, close } = openDatabase(clone, { policy: 'clone', max: 1 })
    try {
      // The policy's own refusals, which the server would not make for the clone's role on its own clone.
      await assert.rejects(() => asMigrationBody(() => sql`commit`.execute(db)), StatementRefusedError)
      await assert.rejects(() => asMigrationBody(() => sql`select pg_catalog.pg_terminate_backend(0)`.execute(db)), StatementRefusedError)
      await assert.rejects(() => sql`delete from os_proposal_approvals`.execute(db), StatementRefusedError)
      await assert.rejects(() => db.executeQuery(CompiledQuery.raw(`insert into public.os_proposal_approvals (proposal_code, approver, level) values ('APR-X', 'x', 'L4')`)), StatementRefusedError)
      // An ordinary write of a body passes the policy and reaches the server.
      await asMigrationBody(() => sql`create table gov_policy_probe (id int)`.execute(db))
    } finally {
      await close()
    }
    assert.equal(await scalar<boolean>(clone, `select to_regclass('gov_policy_probe') is not null as v`), true)
    // Turning the policy off is only possible on the read-only channel.
    assert.throws(() => openDatabase(clone, { policy: 'clone', statementPolicy: false }), /statement policy/)
    assert.throws(() => new GuardedPool({ url: clone, policy: 'clone', readOnly: false, statementPolicy: false, max: 1, applicationName: 'x' }), /statement policy/)
  })
})
