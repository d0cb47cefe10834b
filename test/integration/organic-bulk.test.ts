import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cli, dropLater, fingerprint, scalar, serverUrl, uniqueName } from '../helpers.ts'
import { databaseOf, withDatabase } from '../../src/db/url.ts'
import { withClient } from '../../src/db/database.ts'

describe('organic bulk', () => {
  it('fixture --bulk grows the stand-in to the size asked, leaving the baseline numbers alone', async () => {
    const url = withDatabase(await serverUrl(), uniqueName('directus_t'))
    dropLater(databaseOf(url))
    const result = await cli(['fixture', '--url', url, '--bulk', '60MB'])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /organic bulk/)
    assert.ok((await scalar<number>(url, 'select pg_database_size(current_database())::bigint as v')) >= 60_000_000)
    const fp = await fingerprint(url)
    assert.deepEqual([fp.gap, fp.system_issues, fp.dot_tools], [210, 203537, 309])
    await withClient(url, async () => undefined)
  })
})
