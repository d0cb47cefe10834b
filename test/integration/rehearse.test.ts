import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { cli, dropLater, fingerprint, scalar, standIn, uniqueName } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { withDatabase } from '../../src/db/url.ts'
import { diffFingerprints } from '../../src/fingerprint/fingerprint.ts'

describe('the rehearsal (stage F) and its evidence report', () => {
  it('passes on the stand-in at scale 1, then resets from the golden copy; two reports differ only in timestamps', async () => {
    const production = await standIn()
    const name = uniqueName('directus_gov_test_reh')
    dropLater(name)
    dropLater(`${name}_golden`)
    const before = await fingerprint(production)
    const first = await cli(['rehearse', '--from', production, '--name', name])
    assert.equal(first.code, 0, first.stdout + first.stderr)
    assert.match(first.stdout, /✓ clone back at its creation fingerprint: identical/)
    assert.match(first.stdout, /✓ clone back at its creation catalog: every object, sequence and table content as at creation/)
    assert.match(first.stdout, /✓ production fingerprint at exit: governance state identical to entry/)
    // The rehearsal ends with every stage applied again: the clone is not dropped or reset unless told.
    const refused = await cli(['rehearse', '--from', production, '--name', name])
    assert.equal(refused.code, 3, refused.stdout + refused.stderr)
    assert.match(refused.stderr, /refused: the clone \S+ has 10 applied migration\(s\); rehearse does not drop or reset it unless told — fix: pass --reset/)
    const tier = await cli(['rehearse', '--from', production, '--name', name, '--reset', '--to', 'T1'])
    assert.equal(tier.code, 1, tier.stdout + tier.stderr)
    assert.match(tier.stderr, /rehearse --to T1: not a clone stage — fix: name one of A, B, .*LT \(production tiers rehearse with: migrate up --to T<n> --rehearse/)
    const second = await cli(['rehearse', '--from', production, '--name', name, '--reset'])
    assert.equal(second.code, 0, second.stdout + second.stderr)
    assert.match(second.stdout, /reset from its golden snapshot in \d+ ms \(it had 10 applied migration\(s\); --reset\)/)
    assert.deepEqual(diffFingerprints(before, await fingerprint(production)), [])

    const dir = projectCopy().dir
    const clone = withDatabase(production, name)
    for (const out of ['r1', 'r2']) assert.equal((await cli(['report', '--out', join(dir, out), '--url', clone])).code, 0)
    const strip = (text: string) => text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<t>')
    for (const file of ['report.md', 'report.json']) {
      const a = readFileSync(join(dir, 'r1', file), 'utf8')
      const b = readFileSync(join(dir, 'r2', file), 'utf8')
      assert.equal(strip(a), strip(b), file)
    }
    const md = readFileSync(join(dir, 'r1', 'report.md'), 'utf8')
    assert.match(md, /\| LT \| .* \| \*\*PASS\*\* \|/)
    assert.match(md, /\| production tiers T1–T5 \| \*\*NO-GO\*\* \| ospa = 0/)
    assert.match(md, /sha256 `[0-9a-f]{64}`/)
    const json = JSON.parse(readFileSync(join(dir, 'r1', 'report.json'), 'utf8'))
    assert.equal(json.record.verdict, 'PASS')
    assert.equal(json.record.stages.length, 10)
  })

  it('fails with a clear message when a stage is broken, and leaves the clone for inspection', async () => {
    const project = projectCopy()
    project.add('0011-Z-leaves-a-function.ts', `import { sql } from 'kysely'
import { defineMigration } from '../src/migrator/migration.ts'
export default defineMigration({
  id: 'Z', title: 'a down that forgets a function', tier: 'clone',
  expect: () => ({}),
  async up({ db }) { await sql\`create function gov_leftover() returns int language sql as 'select 1'\`.execute(db) },
  async down() {},
})
`)
    const production = await standIn()
    const name = uniqueName('directus_gov_test_broken')
    dropLater(name)
    dropLater(`${name}_golden`)
    const result = await cli(['rehearse', '--from', production, '--name', name, '--config', project.config])
    assert.equal(result.code, 1)
    // Verify already sees it when nothing is applied any more: the catalog differs from creation, by object.
    assert.match(result.stdout, /✗ verify after down A: clone equals its creation catalog expected no difference, actual \+ function public\.gov_leftover\(\)/)
    assert.match(result.stderr, /^migrate: the rehearsal failed at step "verify after down A"/m)
    assert.equal(await scalar(withDatabase(production, name), `select count(*)::int as v from pg_proc where proname = 'gov_leftover'`), 1, 'left for inspection')
  })
})
