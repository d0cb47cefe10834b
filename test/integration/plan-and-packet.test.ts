import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, it } from 'node:test'
import { cli, dropLater, fingerprint, markedClone, ROOT, scalar, standIn, uniqueName } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { withDatabase } from '../../src/db/url.ts'

const TIERS = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6']

describe('plans and packets', () => {
  it('the plan of stage A is stable and contains the real SQL', async () => {
    const clone = await markedClone(await standIn())
    const result = await cli(['plan', '--to', 'A', '--url', clone])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /insert into\s+"governance_object_ownership"/)
    assert.equal((await fingerprint(clone)).own, 0, 'plan changes nothing')
    // The hash covers the module closure (src/ files every engineer edits): checked for its form, not its value.
    const stable = result.stdout.replace(/sha256 `[0-9a-f]{64}`/g, 'sha256 `<module closure>`')
    assert.notEqual(stable, result.stdout)
    const snapshot = resolve(ROOT, 'test/snapshots/plan-A.md')
    if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(snapshot)) writeFileSync(snapshot, stable)
    assert.equal(stable, readFileSync(snapshot, 'utf8'))
    const sql = await cli(['plan', '--to', 'A', '--url', clone, '--format', 'sql'])
    assert.match(sql.stdout, /^-- A: ownership seed/m)
  })

  it('a plan for production needs a clone to capture on; with one it lists every tier and its gates', async () => {
    const production = await standIn()
    const without = await cli(['plan', '--to', 'T6', '--url', production])
    assert.equal(without.code, 1)
    assert.match(without.stderr, /pass --clone/)
    const clone = await markedClone(production)
    const planned = await cli(['plan', '--to', 'T6', '--url', production, '--clone', clone, '--format', 'json'])
    assert.equal(planned.code, 0, planned.stderr)
    const plan = JSON.parse(planned.stdout)
    assert.equal(plan.ospa, 0)
    assert.deepEqual(plan.items.map((i: { id: string }) => i.id), TIERS)
    assert.match(plan.items[5].gates.join(' '), /--activate-emit/)
    assert.ok(plan.items.every((i: { sql: unknown[]; sha256: string }) => i.sql.length > 0 && /^[0-9a-f]{64}$/.test(i.sha256)))
  })

  it('the packet lists the tiers with SQL, rollback and hashes, and the readiness matrix says NO-GO while ospa = 0', async () => {
    const production = await standIn()
    const clone = await markedClone(production)
    const out = resolve(projectCopy().dir, 'packet.md')
    const result = await cli(['packet', '--out', out, '--url', production, '--clone', clone])
    assert.equal(result.code, 0, result.stderr)
    const text = readFileSync(out, 'utf8')
    for (const tier of TIERS) assert.match(text, new RegExp(`\\| ${tier} \\| .* \\| ospa = 0 \\(closed\\).* \\| yes, .* \\| \\*\\*NO-GO\\*\\* \\|`))
    assert.match(text, /Rollback \(down\):/)
    assert.match(text, /delete from\s+"governance_object_ownership"/)
    assert.match(text, /sha256 `[0-9a-f]{64}`/)
  })

  it('the README example works after demo: without --clone the packet rehearses on a throwaway clone it drops', async () => {
    const production = await standIn()
    const name = uniqueName('directus_gov_test_demo')
    dropLater(name)
    assert.equal((await cli(['demo', '--url', production, '--name', name])).code, 0)
    const out = resolve(projectCopy().dir, 'packet.md')
    const result = await cli(['packet', '--out', out, '--url', production, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const clone = (JSON.parse(result.stdout) as { clone: string }).clone
    assert.match(readFileSync(out, 'utf8'), /\*\*NO-GO\*\*/)
    const left = await scalar<number>(production, `select count(*)::int as v from pg_database where datname = $1`, [new URL(clone).pathname.slice(1)])
    assert.equal(left, 0, 'the throwaway clone is dropped')

    // demo's clone has stage A applied: not production's state, refused before any tier runs.
    const used = await cli(['packet', '--out', out, '--url', production, '--clone', withDatabase(production, name)])
    assert.equal(used.code, 3, used.stderr)
    assert.match(used.stderr, new RegExp(`^migrate: refused: since the clone ${name} was made, 0001-A-ownership-seed applied: .* — fix: leave out --clone`, 'm'))
  })
})
