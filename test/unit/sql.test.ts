import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

describe('SQL the tool prints and runs (pure)', async () => {
  const { formatSql, formatQuery, literal } = await import('../../src/plan/format-sql.ts')
  const { driftViewSql, DRIFT_SUBSTRATE, DRIFT_FACET_AWARE, DRIFT_TIMED } = await import('../../src/pipeline/drift-view.ts')
  const { copyDatabaseSql } = await import('../../src/db/url.ts')
  const { progressLine } = await import('../../src/cli/progress.ts')

  it('lays out statements with a PostgreSQL formatter, DDL included, without touching quoted text', () => {
    assert.equal(formatSql(`select "a" from "t" where "b" = 'x from y' order by "a"`), `select\n  "a"\nfrom\n  "t"\nwhere\n  "b" = 'x from y'\norder by\n  "a"`)
    assert.equal(
      formatSql('create table "t" ("id" bigint generated always as identity primary key, "kind" text not null check (kind in (\'a\', \'b\')))'),
      'create table "t" (\n  "id" bigint generated always as identity primary key,\n  "kind" text not null check (kind in (\'a\', \'b\'))\n)',
    )
    const body = 'create function f() returns trigger language plpgsql as $$\n  begin\n    if new.x = $1 then raise exception \'no\'; end if;\n    return new;\n  end $$'
    assert.match(formatSql(body, ['inlined?']), /\$\$\n {2}begin\n {4}if new\.x = \$1 then raise exception 'no'; end if;\n {4}return new;\n {2}end \$\$/)
  })

  it('inlines parameters as the literals pg would send: quoted, escaped, arrays and json as pg writes them', () => {
    assert.equal(formatQuery({ sql: 'select $1, $2, $3', parameters: ["it's", 3, null] }), "select\n  'it''s',\n  '3',\n  NULL;")
    assert.equal(literal('back\\slash'), "E'back\\\\slash'")
    assert.equal(literal(['a', 'b"c', null]), `E'{"a","b\\\\"c",NULL}'`)
    assert.equal(literal({ k: ["it's"] }), `'{"k":["it''s"]}'`)
    assert.equal(literal(true), "'true'")
    assert.equal(literal(Buffer.from('hi')), "'\\x6869'")
    assert.match(literal(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), /^'2026-01-0\d[T ]\d\d:04:05\.000[+-]\d\d:\d\d'$/)
    assert.equal(formatQuery({ sql: 'delete from "t" where "a" = $1 and "b" = $10', parameters: Array.from({ length: 10 }, (_, i) => i + 1) }), `delete from "t"\nwhere\n  "a" = '1'\n  and "b" = '10';`)
  })

  it('builds the three versions of the drift view', () => {
    assert.doesNotMatch(driftViewSql(DRIFT_SUBSTRATE), /axis_facet_decision|v_projection_lag_timing/)
    assert.match(driftViewSql(DRIFT_FACET_AWARE), /axis_facet_decision/)
    assert.match(driftViewSql(DRIFT_FACET_AWARE), /placeholder: structural, no timing/)
    assert.match(driftViewSql(DRIFT_TIMED), /from v_projection_lag_timing t where t\.lagging/)
  })

  it('copies a small template through the WAL and a large one as files, where the server has the choice', () => {
    assert.equal(copyDatabaseSql('b', 'a', 160004, 28_000_000), 'create database "b" template "a" strategy wal_log')
    assert.equal(copyDatabaseSql('b', 'a', 150020, 99_999_999), 'create database "b" template "a" strategy wal_log')
    assert.equal(copyDatabaseSql('b', 'a', 160004, 100_000_000), 'create database "b" template "a" strategy file_copy')
    assert.equal(copyDatabaseSql('b', 'a', 160004, 1_200_000_000), 'create database "b" template "a" strategy file_copy')
    assert.equal(copyDatabaseSql('b', 'a', 140010, 28_000_000), 'create database "b" template "a"')
    assert.equal(copyDatabaseSql('b', 'a', 140010, 1_200_000_000), 'create database "b" template "a"')
  })

  it('reports progress honestly', () => {
    assert.match(progressLine({ bytes: 10, estimatedBytes: 100, tablesDone: 0, tablesTotal: 3, elapsedMs: 10 }), /time left unknown/)
    assert.match(progressLine({ bytes: 50 * 2 ** 20, estimatedBytes: 100 * 2 ** 20, tablesDone: 1, tablesTotal: 3, elapsedMs: 5000 }), /10\.0 MB\/s, ≈5s left/)
  })
})
