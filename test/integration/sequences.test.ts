import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { scalar, standIn } from '../helpers.ts'
import { openDatabase, withClient } from '../../src/db/database.ts'
import { GOVERNANCE_OBJECTS } from '../../src/fingerprint/governance-objects.ts'
import { movedSequences, readSequences, restoreSequences } from '../../src/migrator/sequences.ts'

const state = (url: string, seq: string) => scalar<string>(url, `select last_value || ' ' || is_called as v from ${seq}`)

describe('sequences set back on production', () => {
  it('only the governance tables’ sequences: an app’s sequence that moved meanwhile is left alone', async () => {
    const production = await standIn()
    const { db, close } = openDatabase(production, { policy: 'any', max: 1 })
    try {
      const before = await readSequences(db)
      const appBefore = await state(production, 'system_issues_id_seq')
      const governanceBefore = await state(production, 'governance_event_log_id_seq')
      // A tier's rolled-back insert moved the governance sequence; the app drew a value it has not committed yet.
      await withClient(production, (c) => c.query(`select nextval('governance_event_log_id_seq'), nextval('system_issues_id_seq')`))
      const moved = movedSequences(before, await readSequences(db))
      assert.deepEqual(Object.keys(moved).sort(), ['public.governance_event_log_id_seq', 'public.system_issues_id_seq'])
      assert.deepEqual(await restoreSequences(db, moved, GOVERNANCE_OBJECTS), [])
      assert.equal(await state(production, 'governance_event_log_id_seq'), governanceBefore)
      assert.notEqual(await state(production, 'system_issues_id_seq'), appBefore, 'the app’s sequence is not set back under it')
    } finally {
      await close()
    }
  })
})
