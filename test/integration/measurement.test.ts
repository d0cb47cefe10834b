import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { markedClone, repoConfig, scalar, standIn } from '../helpers.ts'
import { openDatabase, withClient } from '../../src/db/database.ts'
import { readMetrics } from '../../src/fingerprint/metrics.ts'
import { up } from '../../src/migrator/migrator.ts'

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
      const metrics = await readMetrics(db)
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
  it('is the configured scanner.maxCandidates, written into the ruleset, and a scan over it is refused with nothing written', async () => {
    const config = await repoConfig()
    const clone = await markedClone(await standIn())
    // Scale 1 holds 40 candidates: a bound of 39 stops stage C, whole.
    await assert.rejects(up({ url: clone, config: { ...config, scanner: { maxCandidates: 39 } }, to: 'C' }), /would hold 40 candidates, over the hard cap of 39/)
    assert.equal(await scalar(clone, `select count(*)::int as v from governance_ruleset`), 0)
    await up({ url: clone, config: { ...config, scanner: { maxCandidates: 40 } }, to: 'C' })
    assert.equal(await scalar(clone, `select max_candidates as v from governance_ruleset`), 40)
  })
})

describe('statistics of new tables', () => {
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
})
