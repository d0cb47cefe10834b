import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { dropLater, fingerprint, PROPOSAL, scalar, serverUrl, uniqueName } from '../helpers.ts'
import { createClone } from '../../src/clone/clone.ts'
import type { DumpProgress } from '../../src/clone/dump.ts'
import { withDatabase } from '../../src/db/url.ts'
import { diffFingerprints } from '../../src/fingerprint/fingerprint.ts'
import { createFixture } from '../../src/fixture/fixture.ts'

/** pg_dump can read the server under test only when its major version is at least the server's. */
async function dumpCompatible(): Promise<string | null> {
  const server = await scalar<number>(await serverUrl(), `select current_setting('server_version_num')::int / 10000 as v`)
  try {
    const dump = Number(/(\d+)/.exec(execFileSync('pg_dump', ['--version'], { encoding: 'utf8' }).replace(/^[^\d]*/, ''))?.[1] ?? 0)
    return dump >= server ? null : `pg_dump ${dump} cannot read a PostgreSQL ${server} server`
  } catch {
    return 'no pg_dump on this machine'
  }
}

/**
 * Bytes this process's threads have read from any file, pipe or socket so far (Linux).
 * Per thread: /proc/self/io also adds the reads of reaped children (psql's).
 */
function bytesRead(): number {
  return readdirSync('/proc/self/task').reduce((sum, tid) => sum + Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/self/task/${tid}/io`, 'utf8'))?.[1] ?? Number.NaN), 0)
}

describe('dump clones through an OS pipe', () => {
  it('the dump goes from pg_dump to psql without passing through this process, with progress in bytes and tables', async (t) => {
    const why = await dumpCompatible()
    if (why) return t.skip(why)
    if (!existsSync('/proc/self/task')) return t.skip('no /proc/self/task to count the bytes this process reads')
    const server = await serverUrl()
    const sourceName = uniqueName('directus_tpipe')
    dropLater(sourceName)
    const source = withDatabase(server, sourceName)
    await createFixture({ url: source, bulkBytes: 40 * 1024 * 1024 })
    const before = await fingerprint(source)
    const name = uniqueName('directus_gov_test_pipe')
    dropLater(name)
    const reports: DumpProgress[] = []
    const read = bytesRead()
    const info = await createClone({ from: source, name, proposal: PROPOSAL, strategy: 'dump', onDumpProgress: (p) => reports.push(p) })
    const readMb = (bytesRead() - read) / 1024 / 1024
    assert.equal(info.strategy, 'dump')
    assert.deepEqual(diffFingerprints(before, info.fingerprint).filter((k) => k !== 'db'), [])
    // The source holds 40 MB of bulk; what this process read is the protocol around it.
    assert.ok(readMb < 8, `this process read ${readMb.toFixed(1)} MB during a dump of a 40 MB bulk`)
    const last = reports.at(-1)
    assert.ok(last && last.bytes > 30 * 1024 * 1024, `last progress ${JSON.stringify(last)}`)
    assert.equal(last.tablesDone, last.tablesTotal)
  })
})
