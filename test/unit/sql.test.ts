import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

describe('SQL the tool prints and runs (pure)', async () => {
  const { formatSql, formatQuery } = await import('../../src/plan/format-sql.ts')
  const { driftViewSql, DRIFT_SUBSTRATE, DRIFT_FACET_AWARE, DRIFT_TIMED } = await import('../../src/pipeline/drift-view.ts')
  const { copyDatabaseSql } = await import('../../src/db/url.ts')
  const { progressLine } = await import('../../src/cli/progress.ts')

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

  it('reports progress honestly', () => {
    assert.match(progressLine({ bytes: 10, estimatedBytes: 100, tablesDone: 0, tablesTotal: 3, elapsedMs: 10 }), /time left unknown/)
    assert.match(progressLine({ bytes: 50 * 2 ** 20, estimatedBytes: 100 * 2 ** 20, tablesDone: 1, tablesTotal: 3, elapsedMs: 5000 }), /10\.0 MB\/s, ≈5s left/)
  })
})
