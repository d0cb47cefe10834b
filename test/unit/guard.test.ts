import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cloneRefusal, hasClonePrefix, isMarkedClone } from '../../src/guard/guard.ts'

const marker = (cloneName: string, golden = false) => ({ cloneName, sourceDatabase: 'directus', createdAt: 'now', golden })

describe('guard (pure)', () => {
  it('accepts exactly the prefix, character by character', () => {
    assert.equal(hasClonePrefix('directus_gov_test_20260602'), true)
    // LIKE 'directus_gov_test_%' would accept these: "_" is a wildcard there.
    assert.equal(hasClonePrefix('directusXgovXtestX20260602'), false)
    assert.equal(hasClonePrefix('directus1gov_test_x'), false)
    assert.equal(hasClonePrefix('Directus_gov_test_x'), false)
    assert.equal(hasClonePrefix('directus_gov_test_'), false)
    assert.equal(hasClonePrefix('directus'), false)
  })

  it('refuses production, an unmarked prefix, and a copied marker, naming the database', () => {
    assert.match(cloneRefusal({ database: 'directus', marker: null }) ?? '', /"directus" is not a clone/)
    assert.match(cloneRefusal({ database: 'directus_gov_test_a', marker: null }) ?? '', /no clone marker/)
    assert.match(cloneRefusal({ database: 'directus_gov_test_b', marker: marker('directus_gov_test_a') }) ?? '', /copied or renamed/)
    assert.equal(cloneRefusal({ database: 'directus_gov_test_a', marker: marker('directus_gov_test_a') }), null)
    assert.equal(isMarkedClone({ database: 'directus_gov_test_a', marker: marker('directus_gov_test_a') }), true)
    assert.match(cloneRefusal({ database: 'directus_gov_test_a_golden', marker: marker('directus_gov_test_a_golden', true) }) ?? '', /golden snapshot/)
  })
})
