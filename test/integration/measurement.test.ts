import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import { markedClone, pipelineMetrics, repoConfig, scalar, standIn } from '../helpers.ts'
import { openDatabase, withClient } from '../../src/db/database.ts'
import { readMetrics } from '../../src/fingerprint/metrics.ts'
import { analyzeChangedTables, readTableChanges } from '../../src/migrator/statistics.ts'
import { down, up } from '../../src/migrator/migrator.ts'

describe('one measurement, each view once', () => {
  it('readMetrics evaluates the drift findings and the axis coverage once each, whatever number of metrics read them', async () => {
    const production = await standIn()
    // Stand-ins of the two views whose every evaluation draws a number from a sequence.
    await withClient(production, (c) =>
      c.query(`
        create sequence view_evaluations;
        create view v_drift_finding as
          select 'quality_signal'::text as category, 'info'::text as severity, 'x'::text as subject, 'placeholder'::text as detail
          from (select nextval('view_evaluations')) as evaluated;
        create view v_axis_coverage as
          select 'containment'::text as axis_code, 7 as required, 7 as covered, 0 as gap
          from (select nextval('view_evaluations')) as evaluated`),
    )
    const { db, close } = openDatabase(production, { policy: 'any', max: 1 })
    try {
      const metrics = await readMetrics(db, await pipelineMetrics())
      assert.equal(metrics.quality, 1)
      assert.equal(metrics.drift_open, 1)
      assert.equal(metrics.containment_required, 7)
    } finally {
      await close()
    }
    assert.equal(await scalar(production, `select last_value::int as v from view_evaluations`), 2)
  })
})

describe('the scanner’s safety bound', () => {
  it('every session the tool opens runs without JIT, whatever the database says (JIT compiling cost more than the views at scale 100)', async () => {
    const production = await standIn()
    const name = new URL(production).pathname.slice(1)
    await withClient(production, (c) => c.query(`alter database "${name}" set jit = on`))
    const plain = new pg.Client({ connectionString: production })
    await plain.connect()
    assert.equal((await plain.query<{ v: string }>(`select current_setting('jit') as v`)).rows[0]?.v, 'on')
    await plain.end()
    assert.equal(await withClient(production, async (c) => (await c.query<{ v: string }>(`select current_setting('jit') as v`)).rows[0]?.v), 'off')
    for (const readOnly of [false, true]) {
      const { db, close } = openDatabase(production, { policy: 'any', readOnly, max: 1 })
      try {
        const { rows } = await sql<{ v: string }>`select pg_catalog.current_setting('jit') as v`.execute(db)
        assert.equal(rows[0]?.v, 'off', readOnly ? 'read-only channel' : 'writing channel')
      } finally {
        await close()
      }
    }
  })

  it('is the configured scanner.maxCandidates, written into the ruleset, and the database refuses a scan over it, with nothing written', async () => {
    const config = await repoConfig()
    const clone = await markedClone(await standIn())
    // Scale 1 holds 40 candidates: a bound of 39 stops stage C, whole.
    await assert.rejects(
      up({ url: clone, config: { ...config, scanner: { maxCandidates: 39 } }, to: 'C' }),
      /the database refused the scan: ruleset RS-CLONE-TEST-1 would hold 40 candidates, over its hard cap of 39/,
    )
    assert.equal(await scalar(clone, `select count(*)::int as v from governance_ruleset`), 0)
    await up({ url: clone, config: { ...config, scanner: { maxCandidates: 40 } }, to: 'C' })
    assert.equal(await scalar(clone, `select max_candidates as v from governance_ruleset`), 40)
  })

  it('is enforced by the database for any writer: candidates over a ruleset’s max_candidates are refused; down removes the cap', async () => {
    const config = await repoConfig()
    const clone = await markedClone(await standIn())
    await up({ url: clone, config, to: 'C' })
    const refusal = async (statement: string) =>
      withClient(clone, async (c) => {
        try {
          await c.query(statement)
          return 'accepted'
        } catch (error) {
          const e = error as { code?: string; constraint?: string }
          return `${e.code ?? ''} ${e.constraint ?? ''}`
        }
      })
    await withClient(clone, (c) =>
      c.query(`insert into governance_ruleset values ('RS-CAP-TEST', 1, 'test');
               insert into candidate_scan_run (run_id, ruleset_version, triggered_by, states_seen, objects_seen, created_by) values ('SCAN-CAP-1', 'RS-CAP-TEST', 'test', 0, 0, 'test')`),
    )
    const two = `insert into governance_candidate_state (ruleset_version, group_code, state, first_run_id)
                 select 'RS-CAP-TEST', group_code, 'anchored', 'SCAN-CAP-1' from governance_group order by group_code limit 2`
    assert.equal(await refusal(two), '23514 governance_candidate_cap')
    assert.equal(await refusal(two.replace('limit 2', 'limit 1')), 'accepted')
    assert.equal(await refusal(`insert into governance_candidate_object (ruleset_version, collection_name, group_code, first_run_id)
                                select 'RS-CAP-TEST', collection_name, group_code, 'SCAN-CAP-1' from governance_collection_containment limit 1`), '23514 governance_candidate_cap')
    assert.equal(await refusal(`update governance_ruleset set max_candidates = 39 where ruleset_version = 'RS-CLONE-TEST-1'`), '23514 governance_candidate_cap')
    await withClient(clone, (c) => c.query(`delete from governance_candidate_state where ruleset_version = 'RS-CAP-TEST'; delete from candidate_scan_run where run_id = 'SCAN-CAP-1'; delete from governance_ruleset where ruleset_version = 'RS-CAP-TEST'`))
    await down({ url: clone, config, to: 'B' })
    assert.equal(await scalar(clone, `select (select count(*) from pg_trigger where tgname like 'governance\\_candidate\\_cap%') + (select count(*) from pg_proc where proname = 'governance_candidate_cap') as v`), '0')
  })
})

describe('statistics of the tables a migration changes', () => {
  it('the tables a migration makes are analyzed in its transaction, so the next step plans with their row counts', async () => {
    const config = await repoConfig()
    const clone = await markedClone(await standIn())
    await up({ url: clone, config, to: 'AX' })
    const unanalyzed = await scalar<string[]>(
      clone,
      `select coalesce(array_agg(c.relname::text order by c.relname), '{}') as v from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and c.reltuples < 0`,
    )
    assert.deepEqual(unanalyzed, [])
    // axis_assignment holds the topic assignments AX made; the planner knows how many.
    assert.equal(await scalar(clone, `select reltuples::int as v from pg_class where relname = 'axis_assignment'`), await scalar(clone, `select count(*)::int as v from axis_assignment`))
  })

  it('a table a migration fills or empties past the analyze threshold is analyzed in its transaction, up and down', async () => {
    const config = await repoConfig()
    // Scale 3: A seeds 90 anchors, past the threshold (50 rows + 10 %); scale 1's 30 are not.
    const clone = await markedClone(await standIn(3))
    const planned = `select (select reltuples::int from pg_class where relname = 'governance_object_ownership') as v`
    const counted = `select count(*)::int as v from governance_object_ownership`
    // The stand-in's ownership table was analyzed before A seeds it (as autovacuum would have).
    await withClient(clone, (c) => c.query('analyze governance_object_ownership'))
    const seeded = await scalar<number>(clone, planned)
    await up({ url: clone, config, to: 'A' })
    assert.notEqual(await scalar(clone, counted), seeded)
    assert.equal(await scalar(clone, planned), await scalar(clone, counted))
    await down({ url: clone, config, to: '0' })
    assert.equal(await scalar(clone, planned), await scalar(clone, counted))
  })

  it('counts each step alone, and leaves the tables that existed before alone where it must not write statistics (production)', async () => {
    const database = await standIn()
    await withClient(database, (c) => c.query('create table stats_probe (id int); analyze stats_probe'))
    const { db, close } = openDatabase(database, { policy: 'any', max: 1 })
    try {
      const analyzed = await db.transaction().execute(async (trx) => {
        const first = await readTableChanges(trx)
        await sql`insert into stats_probe select generate_series(1, 500)`.execute(trx)
        await sql`create table stats_probe_new (id int)`.execute(trx)
        const onProduction = await analyzeChangedTables(trx, first, false)
        const onClone = await analyzeChangedTables(trx, first, true)
        // A next step of the same transaction that changes 10 rows: the 500 before are not its own.
        const second = await readTableChanges(trx)
        await sql`insert into stats_probe select generate_series(1, 10)`.execute(trx)
        const next = await analyzeChangedTables(trx, second, true)
        return { onProduction, onClone, next }
      })
      assert.deepEqual(analyzed, { onProduction: ['stats_probe_new'], onClone: ['stats_probe', 'stats_probe_new'], next: [] })
    } finally {
      await close()
    }
  })
})
