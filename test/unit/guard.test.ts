import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cloneRefusal, cloneRole, hasClonePrefix, isMarkedClone, writerRoleName } from '../../src/guard/guard.ts'
import { assertSafeUrl } from '../../src/db/url.ts'
import { RefusedError } from '../../src/errors.ts'

const marker = (cloneName: string, golden = false, writerRole: string | null = `${cloneName}_writer`) => ({ cloneName, sourceDatabase: 'directus', createdAt: 'now', golden, writerRole })

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
    assert.match(cloneRefusal({ database: 'directus_gov_test_a_golden', marker: marker('directus_gov_test_a_golden', true, 'directus_gov_test_a_writer') }) ?? '', /golden snapshot/)
    assert.match(cloneRefusal({ database: 'directus_gov_test_a', marker: marker('directus_gov_test_a', false, null) }) ?? '', /own least-privilege role/)
    assert.match(cloneRefusal({ database: 'directus_gov_test_a', marker: marker('directus_gov_test_a', false, 'app_user') }) ?? '', /naming the role "app_user"/)
  })

  it('logs in as the clone role only on a marked clone or golden snapshot that names exactly it', () => {
    assert.equal(cloneRole({ database: 'directus_gov_test_a', marker: marker('directus_gov_test_a') }), 'directus_gov_test_a_writer')
    assert.equal(cloneRole({ database: 'directus_gov_test_a_golden', marker: marker('directus_gov_test_a_golden', true, 'directus_gov_test_a_writer') }), 'directus_gov_test_a_writer')
    // A marker forged into production names nobody the tool logs in as (or sets a password for).
    assert.equal(cloneRole({ database: 'directus', marker: marker('directus', false, 'postgres') }), null)
    assert.equal(cloneRole({ database: 'directus_gov_test_a', marker: marker('directus_gov_test_a', false, 'postgres') }), null)
  })

  it('refuses URLs that carry session options or a second database name, on every channel', () => {
    for (const query of ['options=-c%20statement_timeout%3D0', 'options=-csearch_path%3Devil', 'database=directus', 'dbname=directus', 'statement_timeout=0', 'replication=database', 'user=postgres', 'host=elsewhere']) {
      assert.throws(() => assertSafeUrl(`postgres://postgres@127.0.0.1:5432/directus_gov_test_x?${query}`), (error: unknown) =>
        error instanceof RefusedError && /query string/.test(error.message) && error.message.split('\n').length === 1)
    }
    assert.equal(assertSafeUrl('postgres://postgres@127.0.0.1:5432/directus?sslmode=disable'), 'postgres://postgres@127.0.0.1:5432/directus?sslmode=disable')
  })

  it('derives a clone role name of at most 63 characters, distinct per clone', () => {
    assert.equal(writerRoleName('directus_gov_test_20260602'), 'directus_gov_test_20260602_writer')
    const long = `directus_gov_test_${'x'.repeat(40)}`
    assert.ok(writerRoleName(long).length <= 63)
    assert.notEqual(writerRoleName(`${long}a`), writerRoleName(`${long}b`))
  })
})

describe('a saved fingerprint (shape)', async () => {
  const { shapeProblem } = await import('../../src/fingerprint/saved.ts')
  it('refuses an empty object, an array and a non-count', () => {
    assert.equal(shapeProblem({}), 'it has no "db"')
    assert.equal(shapeProblem([]), 'it is not an object')
    assert.equal(shapeProblem({ db: 'd', schema_md5: 'x', own: '3' }), 'not a count: own')
    assert.equal(shapeProblem({ db: 'd', schema_md5: 'x', own: 3 }), null)
  })
})
