import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cloneRefusal, hasClonePrefix, isMarkedClone } from '../src/guard/guard.ts'
import { assertNoForbiddenWrite } from '../src/guard/forbidden-writes.ts'
import { deltaMismatches, measuredDeltas } from '../src/migrator/migrator.ts'
import { historyProblems } from '../src/migrator/history.ts'
import { parseConfig } from '../src/config/load-config.ts'
import { formatDeltas, type GovMigration } from '../src/migrator/migration.ts'
import type { LoadedMigration } from '../src/migrator/load-migrations.ts'
import { RefusedError } from '../src/errors.ts'

const marker = (cloneName: string, golden = false) => ({ cloneName, sourceDatabase: 'directus', createdAt: 'now', golden })

describe('guard (pure)', () => {
  it('accepts exactly the prefix, character by character', () => {
    assert.equal(hasClonePrefix('directus_gov_test_20260602'), true)
    // LIKE 'directus_gov_test_%' would accept these: "_" is a wildcard there.
    assert.equal(hasClonePrefix('directusXgovXtestX20260602'), false)
    assert.equal(hasClonePrefix('directus1gov_test_x'), false)
    assert.equal(hasClonePrefix('Directus_gov_test_x'), false)
    assert.equal(hasClonePrefix('directus_gov_test_'), false)
    assert.equal(hasClonePrefix('directus'), false)
  })

  it('refuses production, an unmarked prefix, and a copied marker, naming the database', () => {
    assert.match(cloneRefusal({ database: 'directus', marker: null }) ?? '', /"directus" is not a clone/)
    assert.match(cloneRefusal({ database: 'directus_gov_test_a', marker: null }) ?? '', /no clone marker/)
    assert.match(cloneRefusal({ database: 'directus_gov_test_b', marker: marker('directus_gov_test_a') }) ?? '', /copied or renamed/)
    assert.equal(cloneRefusal({ database: 'directus_gov_test_a', marker: marker('directus_gov_test_a') }), null)
    assert.equal(isMarkedClone({ database: 'directus_gov_test_a', marker: marker('directus_gov_test_a') }), true)
    assert.match(cloneRefusal({ database: 'directus_gov_test_a_golden', marker: marker('directus_gov_test_a_golden', true) }) ?? '', /golden snapshot/)
  })
})

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

describe('declared deltas', () => {
  it('measures only what changed', () => {
    assert.deepEqual(measuredDeltas({ own: 0, gap: 210, ruleset: 0 }, { own: 30, gap: 0, ruleset: 0 }), { own: 30, gap: -210 })
  })
  it('names every key that differs, undeclared changes included', () => {
    assert.deepEqual(deltaMismatches({ own: 30, gap: -210 }, { own: 30, gap: -210 }), [])
    assert.deepEqual(deltaMismatches({ own: 30, gap: -210 }, { own: 29, gap: -210, cursor: 1 }), [
      'own expected 30, measured 29',
      'cursor expected 0, measured 1',
    ])
  })
  it('prints in DOMAIN.md notation', () => {
    assert.equal(formatDeltas({ own: 30, gap: -210 }), 'own +30, gap -210')
    assert.equal(formatDeltas({}), 'none (writes nothing)')
  })
})

describe('history', () => {
  const m = (name: string, id: string, sha256 = 'h'): LoadedMigration => ({
    name,
    file: `${name}.ts`,
    sha256,
    migration: { id, title: id, tier: 'clone' } as GovMigration,
  })
  const entry = (name: string, sha256 = 'h') => ({ name, id: name, tier: 'clone', sha256, applied_at: '' })

  it('reports missing, edited and out-of-order migrations by name', () => {
    const loaded = [m('0001-A', 'A'), m('0002-B', 'B', 'new'), m('0003-C', 'C')]
    assert.deepEqual(historyProblems([entry('0001-A'), entry('0002-B')], loaded), ['0002-B was edited after it was applied'])
    assert.deepEqual(historyProblems([entry('0000-Z')], loaded), ['0000-Z is applied but its file is missing'])
    assert.deepEqual(historyProblems([entry('0001-A'), entry('0003-C')], loaded.map((x) => ({ ...x, sha256: 'h' }))), [
      '0002-B is pending but a later clone migration is applied',
    ])
  })
})

describe('config', () => {
  it('fills defaults', () => {
    const config = parseConfig({}, '/x')
    assert.equal(config.ratificationProposal, 'APR-BOOT-AUTHMODEL-1')
    assert.equal(config.embedded.port, 54329)
  })
  it('reports every problem with its path and rejects unknown keys', () => {
    assert.throws(
      () => parseConfig({ migrationDir: 'x', embedded: { port: 5432 } }, '/x'),
      (error: Error) =>
        /embedded\.port: must not be 5432/.test(error.message) && /\(root\): Unrecognized key: "migrationDir"/i.test(error.message),
    )
  })
})

describe('SQL the tool prints and runs (pure)', async () => {
  const { formatSql, formatQuery } = await import('../src/plan/format-sql.ts')
  const { driftViewSql, DRIFT_SUBSTRATE, DRIFT_FACET_AWARE, DRIFT_TIMED } = await import('../src/pipeline/drift-view.ts')
  const { copyDatabaseSql } = await import('../src/db/url.ts')
  const { parseSize } = await import('../src/fixture/fixture.ts')
  const { progressLine } = await import('../src/cli/progress.ts')

  it('lays out one clause a line without touching quoted text', () => {
    assert.equal(formatSql(`select "a" from "t" where "b" = 'x from y' order by "a"`), `select "a"\n  from "t"\n  where "b" = 'x from y'\n  order by "a"`)
    assert.equal(formatSql('delete from "t" where "a" = $1'), 'delete from "t"\n  where "a" = $1')
  })

  it('lists parameters after the statement', () => {
    assert.equal(formatQuery({ sql: 'select $1, $2', parameters: ["it's", 3] }), "select $1, $2;\n--   $1 = 'it''s'\n--   $2 = 3")
  })

  it('builds the three versions of the drift view', () => {
    assert.doesNotMatch(driftViewSql(DRIFT_SUBSTRATE), /axis_facet_decision|v_projection_lag_timing/)
    assert.match(driftViewSql(DRIFT_FACET_AWARE), /axis_facet_decision/)
    assert.match(driftViewSql(DRIFT_FACET_AWARE), /placeholder: structural, no timing/)
    assert.match(driftViewSql(DRIFT_TIMED), /from v_projection_lag_timing t where t\.lagging/)
  })

  it('copies with FILE_COPY where the server has it', () => {
    assert.equal(copyDatabaseSql('b', 'a', 160004), 'create database "b" template "a" strategy file_copy')
    assert.equal(copyDatabaseSql('b', 'a', 140010), 'create database "b" template "a"')
  })

  it('reads sizes and reports progress honestly', () => {
    assert.equal(parseSize('1.2GB'), Math.round(1.2 * 1024 ** 3))
    assert.equal(parseSize('500MB'), 500 * 1024 ** 2)
    assert.throws(() => parseSize('lots'), /is not a size/)
    assert.match(progressLine({ bytes: 10, estimatedBytes: 100, tablesDone: 0, tablesTotal: 3, elapsedMs: 10 }), /time left unknown/)
    assert.match(progressLine({ bytes: 50 * 2 ** 20, estimatedBytes: 100 * 2 ** 20, tablesDone: 1, tablesTotal: 3, elapsedMs: 5000 }), /10\.0 MB\/s, ≈5s left/)
  })
})
