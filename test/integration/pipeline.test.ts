import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { cli, fingerprint, markedClone, repoConfig, scalar, standIn, pipelineMetrics } from '../helpers.ts'
import { down, migrationsOf, up } from '../../src/migrator/migrator.ts'
import { verify, type VerifyResult } from '../../src/verify/verify.ts'
import { readMarker } from '../../src/clone/clone.ts'
import { diffFingerprints } from '../../src/fingerprint/fingerprint.ts'
import { openDatabase, withClient } from '../../src/db/database.ts'
import { readMetrics } from '../../src/fingerprint/metrics.ts'
import { scan } from '../../src/pipeline/scanner.ts'
import { workerPass } from '../../src/pipeline/worker.ts'
import { MARK } from '../../src/markers.ts'

function assertVerified(result: VerifyResult, applied: string[]): void {
  const failed = result.checks.filter((c) => !c.ok).map((c) => `${c.name}: expected ${c.expected}, actual ${c.actual}`)
  assert.deepEqual(failed, [])
  assert.deepEqual(result.applied, applied)
}

describe('every clone stage is reversible', () => {
  it('up, verify, down, verify, up again, verify — for each stage in turn; all the way down equals creation', async () => {
    const config = await repoConfig()
    const clone = await markedClone(await standIn())
    const ids = (await migrationsOf(config)).filter((m) => m.migration.tier === 'clone').map((m) => m.migration.id)
    assert.deepEqual(ids, ['A', 'B', 'C', 'D', 'E', 'AX', 'RC', 'KG', 'CN', 'LT'])
    assertVerified(await verify(clone, config), [])
    for (const [i, id] of ids.entries()) {
      const before = ids.slice(0, i)
      const through = ids.slice(0, i + 1)
      assert.deepEqual((await up({ url: clone, config, to: id })).steps.map((s) => s.id), [id])
      assertVerified(await verify(clone, config), through)
      assert.deepEqual((await down({ url: clone, config })).steps.map((s) => s.id), [id])
      assertVerified(await verify(clone, config), before)
      assert.deepEqual((await up({ url: clone, config, to: id })).steps.map((s) => s.id), [id])
      assert.deepEqual((await up({ url: clone, config, to: id })).steps, [], 'a second up is a no-op')
      assertVerified(await verify(clone, config), through)
    }
    await down({ url: clone, config, to: '0' })
    const marker = await readMarker(clone)
    assert.ok(marker?.createdFingerprint)
    assert.deepEqual(diffFingerprints(marker.createdFingerprint, await fingerprint(clone)), [])
  })
})

describe('DOMAIN.md numbers at scale 1', () => {
  it('after E, after the substrate, and at exit', async () => {
    const config = await repoConfig()
    const clone = await markedClone(await standIn())
    const metrics = async () => {
      const { db, close } = openDatabase(clone, { policy: 'clone', max: 1 })
      try {
        return await readMetrics(db, await pipelineMetrics())
      } finally {
        await close()
      }
    }

    await up({ url: clone, config, to: 'E' })
    const afterE = await fingerprint(clone)
    assert.deepEqual(
      [afterE.own, afterE.gap, afterE.ruleset, afterE.scan_run, afterE.cand_state, afterE.cand_object, afterE.cursor, afterE.gov_emit, afterE.gov_active, afterE.dot_tools, afterE.axis_tables],
      [30, 0, 1, 2, 5, 35, 1, 0, 0, 309, 0],
    )
    assert.deepEqual(
      (await withClient(clone, (c) => c.query('select worker_name, watermark, events_seen from gov_worker_cursor'))).rows,
      [{ worker_name: 'clone-test-worker', watermark: 'wm-2', events_seen: 20 }],
    )

    await up({ url: clone, config, to: 'AX' })
    const substrate = await metrics()
    assert.deepEqual(
      [substrate.drift_open, substrate.drift_critical, substrate.divergent, substrate.projection_gap, substrate.rule_missing, substrate.lag_placeholder, substrate.quality],
      [41, 0, 4, 1, 1, 6, 29],
    )
    assert.deepEqual([substrate.topic_active, substrate.topic_assign, substrate.containment_assign, substrate.topic_candidate], [7, 6, 0, 1])
    assert.deepEqual(
      (await withClient(clone, (c) => c.query(`select axis_code, required, covered, gap from v_axis_coverage order by axis_code`))).rows,
      [
        { axis_code: 'containment', required: 0, covered: 0, gap: 0 },
        { axis_code: 'responsibility', required: 210, covered: 210, gap: 0 },
      ],
    )
    assert.equal(await scalar(clone, `select provenance || '/' || status as v from axis_value where value_code = 'kg-domain-x'`), 'kg_provisional/candidate')
    assert.equal(await scalar(clone, 'select count(*)::int as v from governance_object_ownership'), 30, 'ownership is never altered')

    await up({ url: clone, config })
    const exit = await metrics()
    assert.deepEqual(
      [exit.drift_open, exit.drift_critical, exit.divergent, exit.projection_gap, exit.lag_real, exit.quality],
      [38, 0, 0, 0, 9, 29],
    )
    assert.deepEqual([exit.topic_active, exit.topic_candidate, exit.containment_assign, exit.containment_required, exit.containment_gap], [8, 0, 35, 35, 0])
    assert.deepEqual([exit.scan_run, exit.event_log, exit.gov_emit], [7, 38, 0])
    assert.equal(await scalar(clone, `select count(*)::int as v from axis_object_ownership where axis_code = 'containment'`), 35)
    assert.equal(await scalar(clone, 'select count(*)::int as v from axis_registry'), 3)
    assert.equal(await scalar(clone, `select provenance || '/' || status || '/' || registry_code as v from axis_value where value_code = 'kg-domain-x'`), 'kg_ratified/active/registry-kg')
    assert.equal((await fingerprint(clone)).system_issues, 203537, 'system_issues untouched')
  })
})

describe('scale 10', () => {
  it('up to the end and down to 0 through the CLI; numbers scale', async () => {
    const clone = await markedClone(await standIn(10))
    const upped = await cli(['up', '--url', clone])
    assert.equal(upped.code, 0, upped.stderr)
    const verified = await cli(['verify', '--url', clone, '--json'])
    assert.equal(verified.code, 0, verified.stdout)
    const fp = await fingerprint(clone)
    assert.deepEqual([fp.own, fp.gap, fp.cand_state, fp.cand_object, fp.scan_run], [300, 0, 50, 350, 7])
    assert.equal(await scalar(clone, 'select count(*)::int as v from v_drift_finding'), 350 - 6 + 90)
    assert.equal(await scalar(clone, 'select count(*)::int as v from governance_event_log'), 200 + 5 + 2 + 50 + 6)
    const downed = await cli(['down', '--to', '0', '--url', clone])
    assert.equal(downed.code, 0, downed.stderr)
    const marker = await readMarker(clone)
    assert.deepEqual(diffFingerprints(marker?.createdFingerprint ?? fp, await fingerprint(clone)), [])
  })
})

describe('fail-closed in the database, idempotent and bounded', () => {
  it('rejects an emit of an inactive type, a cursor moved backwards and an unowned containment assignment', async () => {
    const config = await repoConfig()
    const clone = await markedClone(await standIn())
    await up({ url: clone, config })
    await withClient(clone, async (c) => {
      await assert.rejects(c.query('update governance_event_log set emitted = true'), /inactive: its events cannot be marked emitted/)
      await assert.rejects(
        c.query(`insert into governance_event_log (event_type, subject, emitted, created_by) values ('gov.drift.finding', 'x', true, 't')`),
        /inactive/,
      )
      await assert.rejects(c.query(`update gov_worker_cursor set last_event_id = 1`), /cannot move backwards/)
      await assert.rejects(
        c.query(`insert into axis_assignment values ('containment', 'collection', 'nobody', 'grp-001', 't')`),
        /unowned containment assignment/,
      )
    })
    assert.equal((await fingerprint(clone)).gov_emit, 0)
  })

  it('re-running the scanner or the worker changes no candidate, cursor or owner; the cap stops a scan with nothing written', async () => {
    const config = await repoConfig()
    const clone = await markedClone(await standIn())
    await up({ url: clone, config, to: 'E' })
    const { db, close } = openDatabase(clone, { policy: 'clone', max: 1 })
    try {
      const before = await fingerprint(clone)
      const pass = await db.transaction().execute((trx) => workerPass(trx, MARK.worker, 2))
      assert.equal(pass.batches, 0)
      const rerun = await db.transaction().execute((trx) => scan(trx, { ruleset: MARK.ruleset, runPrefix: MARK.scanRunPrefix, triggeredBy: 'test' }))
      assert.equal(rerun.newStates + rerun.newObjects, 0)
      const after = await fingerprint(clone)
      assert.deepEqual([after.cand_state, after.cand_object, after.cursor, after.own], [before.cand_state, before.cand_object, before.cursor, before.own])
      assert.equal(after.scan_run, before.scan_run + 1)

      // The database holds the cap: it cannot be lowered under what the ruleset holds, and a scan
      // that would add a 41st candidate to a ruleset capped at 40 is refused, nothing written.
      await assert.rejects(sql`update governance_ruleset set max_candidates = 10`.execute(db), /would hold 40 candidates, over its hard cap of 10/)
      await sql`update governance_ruleset set max_candidates = 40`.execute(db)
      await withClient(clone, (c) =>
        c.query(`insert into governance_collection_inventory select 'col-extra', registry_code, 'extra', null, updated_at from governance_collection_inventory order by collection_name limit 1;
                 insert into governance_collection_containment select 'col-extra', group_code from governance_collection_containment order by collection_name limit 1`),
      )
      await assert.rejects(
        db.transaction().execute((trx) => scan(trx, { ruleset: MARK.ruleset, runPrefix: MARK.scanRunPrefix, triggeredBy: 'test' })),
        /the database refused the scan: ruleset RS-CLONE-TEST-1 would hold 41 candidates, over its hard cap of 40/,
      )
      assert.equal((await fingerprint(clone)).scan_run, after.scan_run)
    } finally {
      await close()
    }
  })

  it('verify names what drifted and exits non-zero', async () => {
    const clone = await markedClone(await standIn())
    assert.equal((await cli(['up', '--to', 'C', '--url', clone])).code, 0)
    await withClient(clone, (c) => c.query(`delete from governance_candidate_object where collection_name = 'col-0001'`))
    const result = await cli(['verify', '--url', clone])
    assert.equal(result.code, 1)
    assert.match(result.stdout, /✗ cand_object\s+expected 35\s+actual 34/)
    assert.match(result.stderr, /verify failed: cand_object/)
  })
})

describe('the round trip on the whole database', () => {
  it('after down --to 0 verify reports a stray table, a stray view, an advanced sequence and changed content, each by object', async () => {
    const clone = await markedClone(await standIn())
    assert.equal((await cli(['up', '--to', 'LT', '--url', clone])).code, 0)
    assert.equal((await cli(['down', '--to', '0', '--url', clone])).code, 0)
    const clean = await cli(['verify', '--url', clone])
    assert.equal(clean.code, 0, clean.stdout)
    assert.match(clean.stdout, /✓ clone equals its creation catalog/)

    const cases: [string, string, RegExp][] = [
      ['create table public.stray (x int)', 'drop table public.stray', /\+ table public\.stray(;|\s|$)/],
      ['create view public.v_stray as select 1 as one', 'drop view public.v_stray', /\+ view public\.v_stray(;|\s|$)/],
      [`select nextval('public.governance_event_log_id_seq')`, `select setval('public.governance_event_log_id_seq', 1, false)`, /sequence public\.governance_event_log_id_seq 0 → 1/],
      [`update dot_tools set title = title || ' ' where tool_code = 'dot-001'`, `update dot_tools set title = rtrim(title)`, /table public\.dot_tools: content differs/],
    ]
    for (const [change, undo, report] of cases) {
      await withClient(clone, (c) => c.query(change))
      const result = await cli(['verify', '--url', clone])
      assert.equal(result.code, 1, change)
      assert.match(result.stdout, report, change)
      await withClient(clone, (c) => c.query(undo))
    }
    assert.equal((await cli(['verify', '--url', clone])).code, 0)
  })
})
