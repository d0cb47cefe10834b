/**
 * The per-table content hash of the catalog snapshot (the round-trip proof): the server's row
 * hash where every column's hash is as exact as its text, the text hash elsewhere, and a
 * snapshot taken with the text hash (before the row hash) still compares without a false difference.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { dropLater, serverUrl, uniqueName } from '../helpers.ts'
import { openDatabase, withClient, type Database } from '../../src/db/database.ts'
import { ident, withDatabase } from '../../src/db/url.ts'
import { diffCatalog, readCatalog, type CatalogSnapshot } from '../../src/clone/catalog.ts'

describe('catalog content hashes', () => {
  let url = ''
  let database: Database | undefined
  before(async () => {
    const name = uniqueName('gov_catalog_contents_')
    dropLater(name)
    const server = await serverUrl()
    await withClient(server, (c) => c.query(`create database ${ident(name)}`))
    url = withDatabase(server, name)
    await withClient(url, (c) =>
      c.query(`
        create type mood as enum ('calm', 'busy');
        create table t_exact (id bigint primary key, label text, tags text[], at timestamptz, m mood, code char(3));
        insert into t_exact select g, 'row ' || g, array['a', 'b' || g], '2026-01-01'::timestamptz + g * interval '1 hour', 'calm', 'x' from generate_series(1, 500) g;
        create table t_numeric (id int, amount numeric);
        insert into t_numeric values (1, 1.0), (2, 2.5);
        create table t_json (id int, doc json);
        insert into t_json values (1, '{"a": 1}');`),
    )
    database = openDatabase(url, { policy: 'any', readOnly: true, max: 1 })
  })
  after(async () => {
    await database?.close()
  })
  const read = (like?: CatalogSnapshot) => readCatalog(database?.db ?? assert.fail('no database'), like)

  it('hashes rows by the server where every column is exact, by text elsewhere, and sees a change in each', async () => {
    const first = await read()
    assert.match(first.contents['public.t_exact'] ?? '', /^500:r:-?\d+$/)
    assert.match(first.contents['public.t_numeric'] ?? '', /^2:\d+$/)
    assert.match(first.contents['public.t_json'] ?? '', /^1:\d+$/)
    assert.deepEqual(diffCatalog(first, await read()), [])

    await withClient(url, (c) => c.query(`update t_exact set label = 'row 7 edited' where id = 7`))
    assert.deepEqual(diffCatalog(first, await read()), ['table public.t_exact: content differs (rows 500 → 500)'])
    await withClient(url, (c) => c.query(`update t_exact set label = 'row 7' where id = 7`))
    assert.deepEqual(diffCatalog(first, await read()), [])

    // Numerically equal, textually different: the text hash tells them apart.
    await withClient(url, (c) => c.query(`update t_numeric set amount = 1.00 where id = 1`))
    assert.deepEqual(diffCatalog(first, await read()), ['table public.t_numeric: content differs (rows 2 → 2)'])
    await withClient(url, (c) => c.query(`update t_numeric set amount = 1.0 where id = 1`))
    assert.deepEqual(diffCatalog(first, await read()), [])
  })

  it('compares with a snapshot whose contents were hashed by text', async () => {
    const now = await read()
    // The text hash of every table, as snapshots were taken before the row hash.
    const db = database?.db ?? assert.fail('no database')
    const rows = []
    for (const table of ['t_exact', 't_numeric', 't_json']) {
      const { rows: found } = await sql<{ name: string; hash: string }>`
        select ${`public.${table}`} as name, count(*) || ':' || coalesce(sum(('x' || left(md5(x::text), 15))::bit(60)::bigint), 0) as hash
        from ${sql.id('public', table)} x`.execute(db)
      rows.push(...found)
    }
    const old: CatalogSnapshot = { objects: now.objects, contents: Object.fromEntries(rows.map((r) => [r.name, r.hash])) }
    assert.doesNotMatch(old.contents['public.t_exact'] ?? '', /:r:/)
    assert.deepEqual(diffCatalog(old, await read(old)), [])
    await withClient(url, (c) => c.query(`delete from t_exact where id = 500`))
    assert.deepEqual(diffCatalog(old, await read(old)), ['table public.t_exact: content differs (rows 500 → 499)'])
  })
})
