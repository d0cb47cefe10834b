import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pg from 'pg'
import { writeFileSync } from 'node:fs'
import { cli, fingerprint, markedClone, scalar, standIn } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { withClient } from '../../src/db/database.ts'
import { diffFingerprints } from '../../src/fingerprint/fingerprint.ts'
import { approve, databaseState, productionUp, rehearsedReceipt, rollOut } from '../production-kit.ts'

const TIERS = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6']
const noLog = (url: string) => scalar<boolean>(url, `select to_regclass('gov_migrate.migrations') is null as v`)

describe('production tiers on the stand-in', () => {
  it('with ospa = 0 every tier is refused, receipt or not, and nothing changes; clone stages are refused there too', async () => {
    const production = await standIn()
    // The rehearsal on a fresh clone reports the closed gate ("would block") and still writes its receipt.
    const { file } = await rehearsedReceipt(production, 'T6')
    const before = await databaseState(production)
    for (const tier of TIERS) {
      const result = await productionUp(production, tier, file, ['--activate-emit'])
      assert.equal(result.code, 3, result.stderr)
      assert.match(result.stderr, /refused: production tier T1 is gated: ospa = 0: proposal APR-BOOT-AUTHMODEL-1 has no approval/)
    }
    const clone = await cli(['up', '--to', 'A', '--url', production])
    assert.equal(clone.code, 3)
    assert.deepEqual(await databaseState(production), before)
    assert.equal(await noLog(production), true)
  })

  it('without a receipt a production up is refused (exit 3) whatever the tiers, and production is unchanged', async () => {
    const production = await standIn()
    await approve(production)
    const before = await databaseState(production)
    for (const tier of ['T1', 'T3', 'T5']) {
      const result = await cli(['up', '--to', tier, '--url', production])
      assert.equal(result.code, 3, result.stderr)
      assert.match(result.stderr, /^migrate: refused: T1.* on production need the receipt of their rehearsal on a fresh clone of production \(--receipt <file>\); nothing ran — fix: rehearse on a fresh clone of production first/)
    }
    const json = await cli(['up', '--to', 'T1', '--url', production, '--json'])
    assert.equal(json.code, 3)
    assert.equal(JSON.parse(json.stdout).exit, 3)
    // Measured here, not by the tool: every object, sequence and table content as before, and no log.
    assert.deepEqual(await databaseState(production), before)
    assert.equal(await noLog(production), true)
  })

  it('a plain up never runs a production tier', async () => {
    const production = await standIn()
    await approve(production)
    const result = await cli(['up', '--url', production])
    assert.equal(result.code, 3, 'a plain up is the clone track, refused on production')
    assert.equal((await fingerprint(production)).own, 0)
  })

  it('with one approval and their receipts T1–T5 apply with DOMAIN numbers, T6 needs its flag, and down reverses each', async () => {
    const production = await standIn()
    await approve(production)
    const before = await fingerprint(production)
    const applied = await rollOut(production, 'T5', ['--json'])
    assert.deepEqual(JSON.parse(applied.stdout).steps.map((s: { id: string }) => s.id), ['T1', 'T2', 'T3', 'T4', 'T5'])
    // On production every tier's expected numbers are its receipt's (measured on a clone of this production), never its formula.
    for (const step of JSON.parse(applied.stdout).steps as { expectedFrom: string }[]) assert.match(step.expectedFrom, /^receipt .*: measured by the rehearsal on directus_gov_test_/)
    const fp = await fingerprint(production)
    assert.deepEqual([fp.own, fp.gap, fp.ruleset, fp.scan_run, fp.cand_state, fp.cand_object, fp.cursor, fp.gov_emit, fp.gov_active, fp.axis_tables], [30, 0, 1, 1, 5, 35, 1, 0, 0, 7])
    assert.equal(await scalar(production, `select count(*)::int as v from governance_object_ownership where created_by = 'PROD_F6_SEED_RATIFIED'`), 30)
    assert.equal(await scalar(production, 'select count(*)::int as v from v_drift_finding'), 38)
    assert.equal(await scalar(production, `select count(*)::int as v from v_drift_finding where severity = 'critical'`), 0)
    // status on production shows an applied tier's numbers as measured there, a pending one's declaration.
    const rows = JSON.parse((await cli(['status', '--json', '--url', production])).stdout).migrations as { id: string; expect: object; expectFrom: string }[]
    assert.deepEqual(rows.find((r) => r.id === 'T1'), { ...rows.find((r) => r.id === 'T1'), expect: { own: 30, gap: -210 }, expectFrom: 'log' })
    assert.equal(rows.find((r) => r.id === 'T6')?.expectFrom, 'declaration')

    // T6 rehearses on a fresh clone of production as it is now (it carries T1–T5).
    const { file } = await rehearsedReceipt(production, 'T6')
    const withoutFlag = await productionUp(production, 'T6', file)
    assert.equal(withoutFlag.code, 3)
    assert.match(withoutFlag.stderr, /emit activation needs its own explicit decision — fix: pass --activate-emit/)
    assert.equal((await fingerprint(production)).gov_active, 0)
    const withFlag = await productionUp(production, 'T6', file, ['--activate-emit'])
    assert.equal(withFlag.code, 0, withFlag.stderr)
    assert.equal((await fingerprint(production)).gov_active, 4)

    for (const tier of [...TIERS].reverse()) {
      const reverted = await cli(['down', '--url', production, '--json'])
      assert.equal(reverted.code, 0, reverted.stderr)
      assert.deepEqual(JSON.parse(reverted.stdout).steps.map((s: { id: string }) => s.id), [tier])
      assert.match(JSON.parse(reverted.stdout).steps[0].expectedFrom, /^the reverse of what its up measured on this database/)
    }
    assert.deepEqual(diffFingerprints(before, await fingerprint(production)), [])
  })

  it('an approval deleted by another session while a tier waits for it does not let the tier commit', async () => {
    const production = await standIn()
    await approve(production)
    const { file } = await rehearsedReceipt(production, 'T1')
    const other = new pg.Client({ connectionString: production })
    await other.connect()
    try {
      await other.query('begin')
      await other.query('delete from os_proposal_approvals')
      const run = productionUp(production, 'T1', file)
      // Wait until the tier's gate is blocked on the deleted approval's row lock.
      for (let i = 0; i < 100; i++) {
        const waiting = await scalar<number>(production, `select count(*)::int as v from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%for share%'`)
        if (waiting > 0) break
        await new Promise((r) => setTimeout(r, 100))
      }
      await other.query('commit')
      const result = await run
      assert.equal(result.code, 3, result.stderr)
      assert.match(result.stderr, /ospa = 0/)
    } finally {
      await other.end()
    }
    assert.equal((await fingerprint(production)).own, 0)
  })
})

describe('the proposal a tier needs is reviewed with it', () => {
  it('the gate reads the proposal the tier declares; a configuration naming another is refused, naming both', async () => {
    const production = await standIn()
    const project = projectCopy()
    writeFileSync(project.config, `export default { migrationsDir: 'migrations', ratificationProposal: 'APR-ELSEWHERE-9' }\n`)
    // An approval of the configured proposal exists; the tier's own has none.
    await withClient(production, (c) => c.query(`insert into os_proposal_approvals (proposal_code, approver, level) values ('APR-ELSEWHERE-9', 'president', 'L4')`))
    const result = await cli(['up', '--to', 'T1', '--url', production, '--config', project.config])
    assert.equal(result.code, 3, result.stderr)
    assert.match(result.stderr, /refused: tier T1 declares ratification proposal APR-BOOT-AUTHMODEL-1 \(0101-T1-production-ownership-seed\), but kysely\.config\.ts says APR-ELSEWHERE-9 — fix: /)
    assert.equal((await fingerprint(production)).own, 0)
    project.add('0107-T7-undeclared.ts', `import { defineMigration } from '../src/migrator/migration.ts'
export default defineMigration({ id: 'T7', title: 'undeclared', tier: 'production', expect: () => ({}), async up() {}, async down() {} })
`)
    const undeclared = await cli(['status', '--url', production, '--config', project.config])
    assert.equal(undeclared.code, 1, undeclared.stderr)
    assert.match(undeclared.stderr, /0107-T7-undeclared\.ts is incomplete: a production tier declares ratificationProposal/)
  })
})

describe('exit 3 means nothing ran', () => {
  it('up --to T6 without --activate-emit refuses before T1 and commits nothing, its receipt notwithstanding', async () => {
    const production = await standIn()
    await approve(production)
    const { file } = await rehearsedReceipt(production, 'T6')
    const before = await databaseState(production)
    const result = await productionUp(production, 'T6', file)
    assert.equal(result.code, 3, result.stderr)
    assert.match(result.stderr, /production tier T6 is gated: emit activation needs its own explicit decision — fix: pass --activate-emit/)
    assert.deepEqual(await databaseState(production), before)
    assert.equal(await noLog(production), true)
  })

  it('a stop-gate of a later tier refuses before the first tier commits (on a clone, where tiers run without a receipt)', async () => {
    const production = await standIn()
    await approve(production)
    const clone = await markedClone(production)
    // T3's stop-gate wants every governance event type inactive; T1 and T2 do not care.
    await withClient(clone, (c) => c.query(`update event_type_registry set active = true where event_type = (select min(event_type) from event_type_registry where is_governance)`))
    const before = await databaseState(clone)
    const result = await cli(['up', '--to', 'T5', '--url', clone])
    assert.equal(result.code, 3, result.stderr)
    assert.match(result.stderr, /refused: stop-gate "governance event types inactive" of T3: gov_active is 1, expected 0/)
    assert.deepEqual(await databaseState(clone), before)
  })

  it('on production the same change makes the receipt stale: refused before the first tier, nothing changed', async () => {
    const production = await standIn()
    await approve(production)
    const { file } = await rehearsedReceipt(production, 'T5')
    await withClient(production, (c) => c.query(`update event_type_registry set active = true where event_type = (select min(event_type) from event_type_registry where is_governance)`))
    const before = await databaseState(production)
    const result = await productionUp(production, 'T5', file)
    assert.equal(result.code, 3, result.stderr)
    assert.match(result.stderr, /production's governance state changed since the receipt's clone was made \(.*gov_active.*\): the receipt is stale/)
    assert.deepEqual(await databaseState(production), before)
    assert.equal(await noLog(production), true)
  })

  it('--to naming nothing is bad input (exit 1), never every stage', async () => {
    const clone = await markedClone(await standIn())
    for (const to of ['', '  ']) {
      for (const command of ['up', 'down', 'plan']) {
        const result = await cli([command, '--to', to, '--url', clone])
        assert.equal(result.code, 1, `${command} --to "${to}": ${result.stderr}`)
        assert.match(result.stderr, /^migrate: --to names no stage — fix: /)
      }
    }
    assert.equal((await fingerprint(clone)).own, 0)
    assert.equal(await scalar(clone, `select count(*)::int as v from gov_migrate.migrations`), 0)
  })
})

describe('rehearsal', () => {
  it('on a clone reports the deltas of every tier, proves the round trip and leaves the fingerprint identical', async () => {
    const clone = await markedClone(await standIn())
    const before = await fingerprint(clone)
    const result = await cli(['up', '--to', 'T6', '--rehearse', '--url', clone, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const run = JSON.parse(result.stdout)
    assert.deepEqual(run.steps.map((s: { id: string }) => s.id), TIERS)
    assert.deepEqual(run.roundTrip.map((s: { id: string }) => s.id), [...TIERS].reverse())
    assert.deepEqual(run.steps[0].measured, { own: 30, gap: -210 })
    assert.match(run.steps[0].gate, /^would block: ospa = 0/)
    assert.deepEqual(run.steps[5].measured, { gov_active: 4 })
    assert.deepEqual(diffFingerprints(before, await fingerprint(clone)), [])
    assert.equal(await scalar(clone, `select count(*)::int as v from gov_migrate.rehearsals`), 6)
  })

  it('a clone-stage rehearsal works too, and on the stand-in it is refused', async () => {
    const production = await standIn()
    const clone = await markedClone(production)
    const rehearsed = await cli(['up', '--rehearse', '--url', clone])
    assert.equal(rehearsed.code, 0, rehearsed.stderr)
    assert.match(rehearsed.stdout, /would apply {2}LT/)
    assert.equal((await fingerprint(clone)).own, 0)
    const refused = await cli(['up', '--to', 'T1', '--rehearse', '--url', production])
    assert.equal(refused.code, 3)
    assert.match(refused.stderr, /is not a clone/)
  })
})
