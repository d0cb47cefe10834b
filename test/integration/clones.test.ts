import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import pg from 'pg'
import { cli, dropLater, fingerprint, markedClone, PROPOSAL, ROOT, scalar, serverUrl, standIn, uniqueName } from '../helpers.ts'
import { createClone, readMarker } from '../../src/clone/clone.ts'
import { databaseOf, withDatabase } from '../../src/db/url.ts'
import { withClient } from '../../src/db/database.ts'
import { diffFingerprints } from '../../src/fingerprint/fingerprint.ts'
import { createFixture } from '../../src/fixture/fixture.ts'

/** pg_dump can read the server under test only when its major version is at least the server's. */
async function dumpCompatible(): Promise<{ ok: boolean; why: string }> {
  const server = await scalar<number>(await serverUrl(), `select current_setting('server_version_num')::int / 10000 as v`)
  let dump = 0
  try {
    dump = Number(/(\d+)/.exec(execFileSync('pg_dump', ['--version'], { encoding: 'utf8' }).replace(/^[^\d]*/, ''))?.[1] ?? 0)
  } catch {
    return { ok: false, why: 'no pg_dump on this machine' }
  }
  return dump >= server ? { ok: true, why: '' } : { ok: false, why: `pg_dump ${dump} cannot read a PostgreSQL ${server} server (the embedded server ships no pg_dump)` }
}

const sameButName = (a: Parameters<typeof diffFingerprints>[0], b: Parameters<typeof diffFingerprints>[1]) => diffFingerprints(a, b).filter((k) => k !== 'db')

describe('clone strategies', () => {
  it('template and dump both give clones whose fingerprints equal the source’s', async (t) => {
    const production = await standIn()
    const source = await fingerprint(production)
    const viaTemplate = await cli(['clone', 'create', '--from', production, '--name', uniqueName('directus_gov_test_tpl'), '--strategy', 'template', '--json'])
    assert.equal(viaTemplate.code, 0, viaTemplate.stderr)
    const templated = JSON.parse(viaTemplate.stdout)
    dropLater(templated.name)
    assert.equal(templated.strategy, 'template')
    assert.deepEqual(sameButName(source, await fingerprint(withDatabase(production, templated.name))), [])

    const compatible = await dumpCompatible()
    const name = uniqueName('directus_gov_test_dmp')
    dropLater(name)
    const viaDump = await cli(['clone', 'create', '--from', production, '--name', name, '--strategy', 'dump'])
    if (!compatible.ok) {
      assert.equal(viaDump.code, 1)
      assert.match(viaDump.stderr, /pg_dump|not installed/)
      t.skip(`dump half: ${compatible.why}; CI runs it against PostgreSQL 15`)
      return
    }
    assert.equal(viaDump.code, 0, viaDump.stderr)
    assert.match(viaDump.stderr, /tables \d+\/\d+/)
    assert.deepEqual(sameButName(source, await fingerprint(withDatabase(production, name))), [])
  })

  it('auto picks dump when another session holds the source open', async () => {
    const production = await standIn()
    const other = new pg.Client({ connectionString: production })
    await other.connect()
    const name = uniqueName('directus_gov_test_auto')
    dropLater(name)
    const compatible = await dumpCompatible()
    try {
      const made = createClone({ from: production, name, proposal: PROPOSAL, strategy: 'auto' })
      if (compatible.ok) {
        const info = await made
        assert.equal(info.strategy, 'dump')
        assert.deepEqual(sameButName(info.sourceFingerprint, info.fingerprint), [])
      } else {
        // It chose dump, and says exactly why dump cannot run here.
        await assert.rejects(made, /pg_dump \d+ cannot dump a PostgreSQL \d+ server/)
      }
    } finally {
      await other.end()
    }
    assert.equal(await scalar(withDatabase(production, 'postgres'), `select count(*)::int as v from pg_database where datname like $1`, [`${name}%`]), compatible.ok ? 1 : 0)
  })

  it('a dump killed midway leaves no database behind and the source untouched', async (t) => {
    const compatible = await dumpCompatible()
    if (!compatible.ok) return t.skip(compatible.why)
    const server = await serverUrl()
    const sourceName = uniqueName('directus_tbulk')
    dropLater(sourceName)
    const source = withDatabase(server, sourceName)
    await createFixture({ url: source, bulkBytes: 150 * 1024 * 1024 })
    const before = await fingerprint(source)
    const name = uniqueName('directus_gov_test_kill')
    dropLater(name)
    const child = spawn(process.execPath, [join(ROOT, 'bin/migrate.js'), 'clone', 'create', '--from', source, '--name', name, '--strategy', 'dump'], { env: { ...process.env, DATABASE_URL: '' } })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const exited = new Promise<number>((done) => child.on('close', (code) => done(code ?? -1)))
    // Killed while the bulk table's rows flow (the target grown by 8 MB past its empty size): the
    // progress lines come per table, and after the bulk table's line only small ones are left, so
    // pg_dump could end before a kill sent then reaches it.
    const admin = new pg.Client({ connectionString: withDatabase(server, 'postgres') })
    await admin.connect()
    try {
      let empty: number | null = null
      for (let i = 0; i < 1000; i++) {
        const { rows } = await admin.query<{ bytes: string | null }>(`select (select pg_database_size(oid) from pg_database where datname = $1)::text as bytes`, [`${name}__partial`])
        const bytes = rows[0]?.bytes == null ? null : Number(rows[0].bytes)
        empty ??= bytes
        if (empty !== null && bytes !== null && bytes >= empty + 8 * 1024 * 1024) break
        await new Promise((r) => setTimeout(r, 20))
      }
    } finally {
      await admin.end()
    }
    assert.doesNotThrow(() => execFileSync('pkill', ['-KILL', '-f', `pg_dump .*${sourceName}`]), `pg_dump had ended before the kill: ${stderr}`)
    assert.equal(await exited, 1)
    assert.match(stderr, /pg_dump failed \(killed\)/)
    assert.equal(await scalar(withDatabase(server, 'postgres'), `select count(*)::int as v from pg_database where datname like $1`, [`${name}%`]), 0)
    assert.deepEqual(diffFingerprints(before, await fingerprint(source)), [])
  })
})

describe('half-made clones', () => {
  it('a partial a killed process left is swept by the next clone create, and no command accepts it meanwhile', async () => {
    const production = await standIn()
    const name = uniqueName('directus_gov_test_swept')
    dropLater(name)
    await withClient(withDatabase(production, 'postgres'), (c) => c.query(`create database ${name}__partial`))
    const refused = await cli(['up', '--url', withDatabase(production, `${name}__partial`)])
    assert.equal(refused.code, 3)
    const made = await cli(['clone', 'create', '--from', production, '--name', name, '--strategy', 'template'])
    assert.equal(made.code, 0, made.stderr)
    assert.equal(await scalar(withDatabase(production, 'postgres'), `select count(*)::int as v from pg_database where datname = $1`, [`${name}__partial`]), 0)
  })
})

describe('snapshots and resets', () => {
  it('reset returns a migrated clone to its creation fingerprint; the golden copy is never migrated; list shows both', async () => {
    const clone = await markedClone(await standIn())
    const name = databaseOf(clone)
    dropLater(`${name}_golden`)
    const created = (await readMarker(clone))?.createdFingerprint
    assert.ok(created)
    assert.equal((await cli(['clone', 'snapshot', '--url', clone])).code, 0)
    assert.equal((await cli(['up', '--url', clone])).code, 0)
    const refused = await cli(['up', '--url', `${clone}_golden`])
    assert.equal(refused.code, 3)
    assert.match(refused.stderr, /golden snapshot/)
    const listed = await cli(['clone', 'list', '--url', clone, '--json'])
    const rows = JSON.parse(listed.stdout) as { name: string; marker: string; stages: string[] }[]
    assert.deepEqual(rows.find((r) => r.name === name)?.stages, ['A', 'B', 'C', 'D', 'E', 'AX', 'RC', 'KG', 'CN', 'LT'])
    assert.equal(rows.find((r) => r.name === `${name}_golden`)?.marker, 'golden')
    const reset = await cli(['clone', 'reset', '--url', clone, '--yes'])
    assert.equal(reset.code, 0, reset.stderr)
    assert.deepEqual(diffFingerprints(created, await fingerprint(clone)), [])
    assert.equal(await scalar(clone, `select count(*)::int as v from gov_migrate.migrations`), 0)
  })

  it('a fresh clone only: a migrated clone is not snapshotted', async () => {
    const clone = await markedClone(await standIn())
    await cli(['up', '--to', 'A', '--url', clone])
    const result = await cli(['clone', 'snapshot', '--url', clone])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /1 applied migration\(s\); a golden snapshot is taken of a fresh clone/)
  })
})
