import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { cli, markedClone, scalar, standIn } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { withClient } from '../../src/db/database.ts'
import { approve, databaseState } from '../production-kit.ts'

const logOf = (url: string) => scalar<number>(url, `select count(*)::int as v from pg_namespace n join pg_class c on c.relnamespace = n.oid where n.nspname = 'gov_migrate' and c.relname = 'migrations'`)

describe('receipts: production runs what the clone proved', () => {
  it('refuses without a receipt, with an edited tier, a stale production or SQL that differs (nothing changes); runs with a matching one and logs its hash', async () => {
    const production = await standIn()
    await approve(production)
    const clone = await markedClone(production)
    const dir = projectCopy().dir
    const file = join(dir, 'receipt.json')
    const written = await cli(['up', '--to', 'T1', '--rehearse', '--url', clone, '--receipt', file, '--json'])
    assert.equal(written.code, 0, written.stderr)
    // On the clone the expectation is the tier's declaration, over the shape read from the clone.
    assert.match(JSON.parse(written.stdout).steps[0].expectedFrom, /^declaration: 0101-T1-production-ownership-seed's expect\(\) over the shape read here \(35 collections, 5 groups, 6 scopes\)$/)
    const receipt = JSON.parse(readFileSync(file, 'utf8'))
    assert.equal(receipt.tiers[0].id, 'T1')
    assert.match(receipt.tiers[0].sql_sha256, /^[0-9a-f]{64}$/)
    assert.deepEqual(receipt.tiers[0].measured_up, { own: 30, gap: -210 })
    assert.deepEqual(receipt.tiers[0].measured_down, { own: -30, gap: 210 })
    // Measured by the test itself, not the tool's fingerprint: catalog, sequences, every table's content.
    const before = await databaseState(production)
    const unchanged = async (why: string) => {
      assert.deepEqual(await databaseState(production), before, why)
      assert.equal(await logOf(production), 0, `${why}: no log`)
    }

    const none = await cli(['up', '--to', 'T1', '--url', production])
    assert.equal(none.code, 3, none.stderr)
    assert.match(none.stderr, /refused: T1 on production need the receipt of their rehearsal on a fresh clone of production \(--receipt <file>\)/)
    await unchanged('no receipt')

    const missing = await cli(['up', '--to', 'T1', '--url', production, '--receipt', join(dir, 'none.json')])
    assert.equal(missing.code, 3, missing.stderr)
    assert.match(missing.stderr, /refused: there is no receipt at/)
    await unchanged('missing receipt')

    const edited = projectCopy({ withSources: true })
    const ownership = resolve(edited.dir, 'src/pipeline/ownership.ts')
    writeFileSync(ownership, `${readFileSync(ownership, 'utf8')}\n// edited after the rehearsal\n`)
    const editedRun = await cli(['up', '--to', 'T1', '--url', production, '--receipt', file, '--config', edited.config])
    assert.equal(editedRun.code, 3, editedRun.stderr)
    assert.match(editedRun.stderr, /refused: T1 differ from what the receipt .* rehearsed \(module hash\)/)
    await unchanged('edited tier')

    const tampered = join(dir, 'tampered.json')
    writeFileSync(tampered, JSON.stringify({ ...receipt, tiers: [{ ...receipt.tiers[0], sql_sha256: '0'.repeat(64) }] }))
    const sqlRun = await cli(['up', '--to', 'T1', '--url', production, '--receipt', tampered])
    assert.equal(sqlRun.code, 3, sqlRun.stderr)
    assert.match(sqlRun.stderr, /refused: T1 its SQL differs from the rehearsed SQL .*; rolled back/)
    await unchanged('SQL differs')

    // On production a tier expects what the receipt measured, not its formula: a receipt whose
    // measured deltas are not what production's run measures is refused, rolled back.
    const deltas = join(dir, 'deltas.json')
    writeFileSync(deltas, JSON.stringify({ ...receipt, tiers: [{ ...receipt.tiers[0], measured_up: { own: 31, gap: -210 } }] }))
    const deltasRun = await cli(['up', '--to', 'T1', '--url', production, '--receipt', deltas])
    assert.equal(deltasRun.code, 3, deltasRun.stderr)
    assert.match(deltasRun.stderr, /refused: T1 measured deltas differ from the receipt: own receipt 31, measured 30; rolled back/)
    await unchanged('measured deltas differ from the receipt')

    await withClient(production, (c) => c.query(`insert into dot_tools values ('dot-late', 'added after the clone')`))
    const stale = await cli(['up', '--to', 'T1', '--url', production, '--receipt', file])
    assert.equal(stale.code, 3, stale.stderr)
    assert.match(stale.stderr, /production's governance state changed since the receipt's clone was made \(dot_tools\): the receipt is stale/)
    await withClient(production, (c) => c.query(`delete from dot_tools where tool_code = 'dot-late'`))
    await unchanged('stale receipt')

    const bound = await cli(['up', '--to', 'T1', '--url', production, '--receipt', file, '--json'])
    assert.equal(bound.code, 0, bound.stderr)
    const step = JSON.parse(bound.stdout).steps[0]
    assert.deepEqual(step.expected, receipt.tiers[0].measured_up)
    assert.match(step.expectedFrom, /^receipt .*receipt\.json: measured by the rehearsal on directus_gov_test_\w+, a fresh clone of directus_t\w+$/)
    const hash = createHash('sha256').update(readFileSync(file)).digest('hex')
    assert.equal(await scalar<string>(production, `select receipt_sha256 as v from gov_migrate.migrations where id = 'T1'`), hash)
    assert.equal(
      await scalar<string>(production, `select sql_sha256 as v from gov_migrate.migrations where id = 'T1'`),
      receipt.tiers[0].sql_sha256,
      'production ran exactly the SQL the clone rehearsed',
    )
    // Its down expects the reverse of what its up measured here, as logged.
    assert.deepEqual(await scalar(production, `select deltas as v from gov_migrate.migrations where id = 'T1'`), { own: 30, gap: -210 })
    const down = await cli(['down', '--url', production, '--json'])
    assert.equal(down.code, 0, down.stderr)
    assert.deepEqual(JSON.parse(down.stdout).steps[0].expected, { own: -30, gap: 210 })
    assert.match(JSON.parse(down.stdout).steps[0].expectedFrom, /^the reverse of what its up measured on this database \(log, /)
  })

  it('the packet’s GO for a tier needs a matching receipt, and the packet embeds it', async () => {
    const production = await standIn()
    await approve(production)
    const clone = await markedClone(production)
    const dir = projectCopy().dir
    const file = join(dir, 'receipt.json')
    assert.equal((await cli(['up', '--to', 'T5', '--rehearse', '--url', clone, '--receipt', file])).code, 0)
    const without = await cli(['packet', '--out', join(dir, 'without.md'), '--url', production, '--clone', clone])
    assert.equal(without.code, 0, without.stderr)
    assert.match(readFileSync(join(dir, 'without.md'), 'utf8'), /\| T1 \| .* \| \*\*NO-GO\*\* \| no receipt of its rehearsal/)
    assert.match(readFileSync(join(dir, 'without.md'), 'utf8'), /Expected on production: nothing runs: without a receipt that covers this tier, production refuses it\./)
    const withReceipt = await cli(['packet', '--out', join(dir, 'with.md'), '--url', production, '--clone', clone, '--receipt', file])
    assert.equal(withReceipt.code, 0, withReceipt.stderr)
    const text = readFileSync(join(dir, 'with.md'), 'utf8')
    for (const tier of ['T1', 'T2', 'T3', 'T4', 'T5']) assert.match(text, new RegExp(`\\| ${tier} \\| .* \\| \\*\\*GO\\*\\* \\| gate open, round trip proven, receipt matches \\|`))
    assert.match(text, /\| T6 \| .* \| \*\*NO-GO\*\* \| .*does not cover T6/)
    assert.match(text, /## Receipt[\s\S]*"kind": "gov-migrate receipt"/)
    assert.match(text, /Expected on production: own \+30, gap -210 \(the receipt's, measured on `directus_gov_test_\w+`\); its down expects the reverse/)
  })
})
