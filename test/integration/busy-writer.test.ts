import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it } from 'node:test'
import pg from 'pg'
import { cli, dropLater, fingerprint, PROPOSAL, scalar, standIn, uniqueName } from '../helpers.ts'
import { projectCopy } from '../migrations-kit.ts'
import { createClone } from '../../src/clone/clone.ts'
import { snapshotClone } from '../../src/clone/snapshot.ts'
import { withDatabase } from '../../src/db/url.ts'
import { diffFingerprints } from '../../src/fingerprint/fingerprint.ts'

// Ten, as the issue asks. Rehearsal i rehearses the clone stages up to the i-th (A, A…B, …, A…LT):
// each one whole (up with verify, down to 0 with verify, the creation catalog and fingerprint, up
// again, production at exit), together every prefix of the pipeline, the last one all of it.
const STAGES = ['A', 'B', 'C', 'D', 'E', 'AX', 'RC', 'KG', 'CN', 'LT']
const REHEARSALS = 10
const COMPARES = 20

/**
 * A live app on production, bounded in count and time: `sessions` connections held open, each
 * running short multi-statement transactions (two inserts into system_issues with a ~1 ms
 * client-side pause between the statements, so the session sits "idle in transaction" between
 * them), and, meanwhile, creating a new app table named `v_something`.
 */
function busyWriter(url: string, sessions: number, maxMs: number) {
  let stop = false
  let transactions = 0
  const deadline = Date.now() + maxMs
  const run = async (n: number) => {
    const client = new pg.Client({ connectionString: url, application_name: `busy-writer-${n}` })
    await client.connect()
    try {
      if (n === 0) await client.query('create table v_something (id int primary key, note text)')
      while (!stop && Date.now() < deadline) {
        await client.query('begin')
        await client.query(`insert into system_issues (source, severity, message, created_at) values ('busy-writer', 'info', 'first', now())`)
        await sleep(1)
        await client.query(`insert into system_issues (source, severity, message, created_at) values ('busy-writer', 'info', 'second', now())`)
        if (n === 0) await client.query('insert into v_something values ($1, $2)', [transactions, 'app'])
        await sleep(1)
        await client.query('commit')
        transactions += 1
      }
    } finally {
      await client.end()
    }
  }
  const done = Promise.all(Array.from({ length: sessions }, (_, n) => run(n)))
  return {
    async stop(): Promise<number> {
      stop = true
      await done
      return transactions
    },
  }
}

describe('a live app writing on production', () => {
  it(`${REHEARSALS} rehearsals and ${COMPARES} fingerprint compares pass while it writes; production's governance state is unchanged`, async () => {
    const production = await standIn()
    const name = uniqueName('directus_gov_test_busy')
    dropLater(name)
    dropLater(`${name}_golden`)
    // The clone and its golden snapshot are made before the app starts (a template copy needs the source alone).
    await createClone({ from: production, name, proposal: PROPOSAL, strategy: 'template' })
    await snapshotClone(withDatabase(production, name))
    const before = await fingerprint(production)
    const saved = join(projectCopy().dir, 'entry.json')
    writeFileSync(saved, JSON.stringify(before))

    const writer = busyWriter(production, 4, 20 * 60_000)
    try {
      await sleep(200)
      for (let i = 1; i <= COMPARES; i++) {
        const compare = await cli(['fingerprint', '--url', production, '--compare', saved])
        assert.equal(compare.code, 0, `compare ${i}: ${compare.stdout}${compare.stderr}`)
        assert.match(compare.stdout, /governance state identical/)
      }
      for (let i = 1; i <= REHEARSALS; i++) {
        // Each rehearsal leaves the clone migrated (it ends with up again): the next one resets it, told so.
        const to = STAGES[(i - 1) % STAGES.length] ?? 'LT'
        const result = await cli(['rehearse', '--from', production, '--name', name, '--to', to, ...(i > 1 ? ['--reset'] : [])])
        assert.equal(result.code, 0, `rehearsal ${i} (A…${to}): ${result.stdout}${result.stderr}`)
        assert.match(result.stdout, /reset from its golden snapshot/)
        assert.match(result.stdout, new RegExp(`✓ up ${to}: [\\s\\S]*✓ down A: [\\s\\S]*✓ clone back at its creation catalog: [\\s\\S]*rehearsal PASS: \\d+ steps \\(stages A…${to}\\)`))
        assert.match(result.stdout, /organic: system_issues \d+ → \d+/)
      }
    } finally {
      const transactions = await writer.stop()
      assert.ok(transactions > 0, 'the writer wrote')
    }
    assert.deepEqual(diffFingerprints(before, await fingerprint(production)), [])
    assert.ok((await scalar<number>(production, 'select count(*)::int as v from v_something')) > 0)
  })
})
