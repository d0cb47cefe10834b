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
        create table t_kinds (b bool, s int2, o oid, u uuid, y bytea, d date, tm time, ts timestamp, tz timestamptz, v varchar(9), n name, v2 varchar(9), ints int4[], m mood);
        insert into t_kinds values (true, 1, 2, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x01', '2026-01-01', '10:00', '2026-01-01 10:00', '2026-01-01 10:00+00', 'left', 'n', 'right', '{1,2}', 'busy');
        create table t_times (tz timestamptz, b bool);
        insert into t_times values ('infinity', true), ('-infinity', false), ('4714-11-24 00:00:00+00 BC', null), ('294276-12-31 23:59:59.999999+00', true), ('2026-03-29 01:30:00+00', false);
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
    assert.match(first.contents['public.t_exact'] ?? '', /^500:d:-?\d+$/)
    assert.match(first.contents['public.t_numeric'] ?? '', /^2:\d+$/)
    assert.match(first.contents['public.t_json'] ?? '', /^1:\d+$/)
    assert.deepEqual(diffCatalog(first, await read()), [])

    await withClient(url, (c) => c.query(`update t_exact set label = 'row 7 edited' where id = 7`))
    assert.deepEqual(diffCatalog(first, await read()), ['table public.t_exact: content differs (rows 500 → 500)'])
    await withClient(url, (c) => c.query(`update t_exact set label = 'row 7' where id = 7`))
    assert.deepEqual(diffCatalog(first, await read()), [])

    // Every exact type is hashed by the server, column by column: two columns that swap values,
    // a value that becomes null, a change in any one column change the row's hash.
    assert.match(first.contents['public.t_kinds'] ?? '', /^1:d:-?\d+$/)
    const changes = [
      `update t_kinds set v = 'right', v2 = 'left'`,
      `update t_kinds set v2 = null`,
      `update t_kinds set b = false`,
      `update t_kinds set y = '\\x02'`,
      `update t_kinds set d = '2026-01-02'`,
      `update t_kinds set tz = '2026-01-01 10:00:00.000001+00'`,
      `update t_kinds set ints = '{2,1}'`,
      `update t_kinds set m = 'calm'`,
    ]
    const original = await read()
    for (const change of changes) {
      await withClient(url, (c) => c.query(change))
      assert.deepEqual(diffCatalog(original, await read()), ['table public.t_kinds: content differs (rows 1 → 1)'], change)
      await withClient(url, (c) => c.query(`delete from t_kinds; insert into t_kinds values (true, 1, 2, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x01', '2026-01-01', '10:00', '2026-01-01 10:00', '2026-01-01 10:00+00', 'left', 'n', 'right', '{1,2}', 'busy')`))
      assert.deepEqual(diffCatalog(original, await read()), [], `${change}, undone`)
    }

    // Numerically equal, textually different: the text hash tells them apart.
    await withClient(url, (c) => c.query(`update t_numeric set amount = 1.00 where id = 1`))
    assert.deepEqual(diffCatalog(first, await read()), ['table public.t_numeric: content differs (rows 2 → 2)'])
    await withClient(url, (c) => c.query(`update t_numeric set amount = 1.0 where id = 1`))
    assert.deepEqual(diffCatalog(first, await read()), [])
  })

  it('outside a transaction, reads in one read-only transaction of its own, without JIT to its end', async () => {
    const statements: string[] = []
    const logged = openDatabase(url, { policy: 'any', readOnly: true, max: 1, log: (event) => void statements.push(event.query.sql.trim().replace(/\s+/g, ' ')) })
    try {
      assert.deepEqual(diffCatalog(await read(), await readCatalog(logged.db)), [])
    } finally {
      await logged.close()
    }
    // One snapshot for every statement, and SET LOCAL (which outside a transaction only warns) holds.
    assert.match(statements[0] ?? '', /^start transaction isolation level repeatable read read only$/i)
    assert.equal(statements.at(-1), 'commit')
    assert.ok(statements.indexOf('set local jit = off') > 0, statements.join('\n'))
  })

  it('hashes a timestamptz the same under every session time zone, infinities and extremes included', async () => {
    const db = database?.db ?? assert.fail('no database')
    const hashes = []
    for (const zone of ['UTC', 'Pacific/Chatham', 'America/St_Johns']) {
      await sql`select pg_catalog.set_config('TimeZone', ${zone}, false)`.execute(db)
      hashes.push((await read()).contents['public.t_times'])
    }
    assert.match(hashes[0] ?? '', /^5:d:-?\d+$/)
    assert.deepEqual(new Set(hashes).size, 1, hashes.join(' '))
  })

  const byText = sql`count(*) || ':' || coalesce(sum(('x' || left(md5(x::text), 15))::bit(60)::bigint), 0)`
  for (const [kind, exactHash] of [
    ['by text', byText],
    // Only tables of exact types were hashed by whole rows; the others by text.
    ['by whole rows', sql`count(*) || ':r:' || coalesce(sum(pg_catalog.hash_record_extended(x, 0)), 0)`],
    // Column by column, a timestamptz as a one-element array (t_exact: id, label, tags, at, m, code).
    [
      'column by column with timestamptz in an array',
      sql`count(*) || ':c:' || coalesce(sum(coalesce(hashint8extended(id, 1), -1::int8) # coalesce(hashtextextended(label, 2), -2::int8) # coalesce(hash_array_extended(tags, 3), -3::int8)
            # coalesce(hash_array_extended(array[at], 4), -4::int8) # coalesce(hashenumextended(m, 5), -5::int8) # coalesce(hashbpcharextended(code, 6), -6::int8)), 0)`,
    ],
  ] as const) {
    it(`compares with a snapshot whose contents were hashed ${kind} (as snapshots were taken before)`, async () => {
      const now = await read()
      const db = database?.db ?? assert.fail('no database')
      const rows = []
      for (const table of ['t_exact', 't_numeric', 't_json']) {
        const hash = table === 't_exact' ? exactHash : byText
        const { rows: found } = await sql<{ name: string; hash: string }>`select ${`public.${table}`} as name, ${hash} as hash from ${sql.id('public', table)} x`.execute(db)
        rows.push(...found)
      }
      const old: CatalogSnapshot = { objects: now.objects, contents: Object.fromEntries(rows.map((r) => [r.name, r.hash])) }
      assert.doesNotMatch(old.contents['public.t_exact'] ?? '', /:d:/)
      assert.deepEqual(diffCatalog(old, await read(old)), [])
      await withClient(url, (c) => c.query(`delete from t_exact where id = (select max(id) from t_exact)`))
      assert.match(diffCatalog(old, await read(old)).join('\n'), /^table public\.t_exact: content differs \(rows \d+ → \d+\)$/)
    })
  }
})
