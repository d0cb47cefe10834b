import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { join } from 'node:path'
import { cli, dropLater, markedClone, standIn } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { databaseOf } from '../../src/db/url.ts'
import { withClient } from '../../src/db/database.ts'
import { approve, databaseState, rollOut } from '../production-kit.ts'

describe('production verified', () => {
  it('after T1–T5, verify --url <production> runs the tiers’ checks read-only with the preflight, skips the fail-closed tries, and writes nothing', async () => {
    const production = await standIn()
    await approve(production)
    await rollOut(production, 'T5')
    // Measured by the test itself: every object, sequence value and table content.
    const before = await databaseState(production)
    const result = await cli(['verify', '--url', production])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /\(production, read-only channel\): applied T1 T2 T3 T4 T5/)
    // The checks that apply after the tiers, from the units they reuse: A's coverage after T1,
    // AX's critical drift after T4, CN's guard and owned assignments after T5.
    assert.match(result.stdout, /✓ coverage %\s+expected 100\.00\s+actual 100\.00/)
    assert.match(result.stdout, /✓ coverage direct anchors\s+expected 30\s+actual 30/)
    assert.match(result.stdout, /✓ coverage inherited pairs\s+expected 210\s+actual 210/)
    assert.match(result.stdout, /✓ critical drift\s+expected 0\s+actual 0/)
    assert.match(result.stdout, /✓ axis_assignment_owned on axis_assignment\s+expected enabled\s+actual enabled/)
    assert.match(result.stdout, /✓ unowned containment assignments\s+expected 0\s+actual 0/)
    // C's after T2 (the database's candidate cap), D's and E's after T3 (the emit guard, the inert cursor).
    assert.match(result.stdout, /✓ governance_candidate_cap_insert on governance_candidate_object\s+expected enabled\s+actual enabled/)
    assert.match(result.stdout, /✓ gov_event_emit_guard on governance_event_log\s+expected enabled\s+actual enabled/)
    assert.match(result.stdout, /✓ cursor watermark\s+expected wm-0\s+actual wm-0/)
    assert.match(result.stdout, /- skipped T2's fail-closed tries: they write \(rolled back\), and production is only read/)
    assert.match(result.stdout, /- skipped T5's fail-closed tries: they write \(rolled back\), and production is only read/)
    assert.doesNotMatch(result.stdout, /rejected \(/, 'no write was tried on production')
    assert.match(result.stdout, /✓ preflight: db name\s+required production, not a clone\s+actual directus_t/)
    assert.match(result.stdout, /✓ preflight: ospa\s+required ≥ 1 \(tiers ran\)\s+actual 1/)
    assert.match(result.stdout, /✓ preflight: own\s+required 30\s+actual 30/)
    assert.match(result.stdout, /✓ preflight: idle_in_txn\s+required 0\s+actual 0/)
    assert.deepEqual(await databaseState(production), before, 'verify wrote nothing')

    // A boundary switched off on production: no number moves, the stage check sees it.
    await withClient(production, (c) => c.query(`alter table axis_assignment disable trigger axis_assignment_owned`))
    const unguarded = await cli(['verify', '--url', production])
    assert.equal(unguarded.code, 1, unguarded.stdout)
    assert.match(unguarded.stdout, /✗ axis_assignment_owned on axis_assignment\s+expected enabled\s+actual disabled/)
    await withClient(production, (c) => c.query(`alter table axis_assignment enable trigger axis_assignment_owned`))

    await withClient(production, (c) => c.query(`delete from governance_candidate_object where ctid = (select min(ctid) from governance_candidate_object)`))
    const drifted = await cli(['verify', '--url', production])
    assert.equal(drifted.code, 1)
    assert.match(drifted.stdout, /✗ preflight: cand_object\s+required 35\s+actual 34/)
  })

  it('production stays clonable: after T1 there, a fresh clone carries its log, shows T1 applied and rehearses T2', async () => {
    const production = await standIn()
    await approve(production)
    await rollOut(production, 'T1')
    const clone = await markedClone(production)
    const status = await cli(['status', '--json', '--url', clone])
    assert.equal(status.code, 0, status.stderr)
    const rows = JSON.parse(status.stdout).migrations as { id: string; applied: boolean }[]
    assert.deepEqual(rows.filter((m) => m.applied).map((m) => m.id), ['T1'])
    const rehearsed = await cli(['up', '--to', 'T2', '--rehearse', '--url', clone])
    assert.equal(rehearsed.code, 0, rehearsed.stderr)
    assert.match(rehearsed.stdout, /would apply\s+T2/)
    const verified = await cli(['verify', '--url', clone])
    assert.equal(verified.code, 0, verified.stdout)
    assert.match(verified.stdout, /✓ clone equals its creation catalog/)
    dropLater(`${databaseOf(clone)}_golden`)
    assert.equal((await cli(['clone', 'snapshot', '--url', clone])).code, 0, 'the carried log is part of its fresh state')

    // The carried T1 taken down on the clone: it no longer shows production, for a receipt or a packet.
    const down = await cli(['down', '--url', clone])
    assert.equal(down.code, 0, down.stderr)
    const project = projectCopy()
    const receipt = await cli(['up', '--to', 'T2', '--rehearse', '--receipt', join(project.dir, 'receipt.json'), '--url', clone])
    assert.equal(receipt.code, 3, receipt.stderr)
    assert.match(receipt.stderr, /^migrate: refused: since the clone was made, 0101-T1-production-ownership-seed reverted: it no longer shows production/m)
    const packet = await cli(['packet', '--out', join(project.dir, 'packet.md'), '--url', production, '--clone', clone])
    assert.equal(packet.code, 3, packet.stderr)
    assert.match(packet.stderr, /since the clone .* was made, 0101-T1-production-ownership-seed reverted: the packet rehearses/)
  })
})
