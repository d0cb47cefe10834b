import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pg from 'pg'
import { cli, dropLater, markedClone, scalar, standIn } from '../helpers.ts'
import { databaseOf, withDatabase } from '../../src/db/url.ts'
import { withClient } from '../../src/db/database.ts'

const exists = (url: string, name: string) => scalar<boolean>(withDatabase(url, 'postgres'), `select count(*) = 1 as v from pg_database where datname = $1`, [name])

describe('destructive commands need a second word (tests run without a terminal)', () => {
  it('clone drop, clone reset and snapshot replacement are refused without --yes and act with it', async () => {
    const clone = await markedClone(await standIn())
    const name = databaseOf(clone)
    dropLater(`${name}_golden`)
    assert.equal((await cli(['clone', 'snapshot', '--url', clone])).code, 0, 'a first snapshot replaces nothing')
    for (const [args, what] of [
      [['clone', 'snapshot'], `replace the golden snapshot ${name}_golden`],
      [['clone', 'reset'], `drop ${name} and make it again from ${name}_golden`],
      [['clone', 'drop'], `drop the clone ${name}`],
    ] as const) {
      const result = await cli([...args, '--url', clone])
      assert.equal(result.code, 3, result.stderr)
      assert.equal(result.stderr, `migrate: refused: ${what} needs a second word, and there is no terminal to ask on — fix: pass --yes to confirm\n`)
    }
    assert.equal(await exists(clone, name), true)
    assert.equal(await exists(clone, `${name}_golden`), true)
    assert.equal((await cli(['clone', 'reset', '--url', clone, '--yes'])).code, 0)
    const dropped = await cli(['clone', 'drop', '--url', clone, '--yes'])
    assert.equal(dropped.code, 0, dropped.stderr)
    assert.equal(await exists(clone, name), false)
  })

  it('fixture re-creation needs --yes, and never drops foreign objects or cuts sessions, whatever the flag', async () => {
    const production = await standIn()
    const asked = await cli(['fixture', '--url', production])
    assert.equal(asked.code, 3)
    assert.match(asked.stderr, /^migrate: refused: drop the stand-in \S+ and create it again needs a second word.* — fix: pass --yes/)

    const other = new pg.Client({ connectionString: production, application_name: 'someone-else' })
    await other.connect()
    try {
      const withSession = await cli(['fixture', '--url', production, '--yes'])
      assert.equal(withSession.code, 3)
      assert.match(withSession.stderr, /refused: 1 other session\(s\) are connected to "\S+" \(someone-else\); `migrate fixture` never cuts them/)
      assert.equal((await other.query<{ one: number }>('select 1 as one')).rows[0]?.one, 1, 'the other session is alive')
    } finally {
      await other.end()
    }

    // What a real Directus app bootstraps: 33 directus_* tables.
    await withClient(production, async (c) => {
      for (let i = 1; i <= 33; i++) await c.query(`create table directus_app_${String(i).padStart(2, '0')} (id int primary key)`)
    })
    const withForeign = await cli(['fixture', '--url', production, '--yes'])
    assert.equal(withForeign.code, 3)
    assert.match(withForeign.stderr, /refused: "\S+" holds 33 object\(s\) `migrate fixture` did not create \(public\.directus_app_01, .*, …\); it is never dropped with them/)
    assert.equal(await scalar<number>(production, `select count(*)::int as v from pg_tables where tablename like 'directus_app_%'`), 33)

    const untouched = await standIn()
    const recreated = await cli(['fixture', '--url', untouched, '--yes'])
    assert.equal(recreated.code, 0, recreated.stderr)
    assert.match(recreated.stdout, /re-created the stand-in/)
  })
})
