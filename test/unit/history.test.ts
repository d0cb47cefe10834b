import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { historyProblems } from '../../src/migrator/history.ts'
import { type GovMigration } from '../../src/migrator/migration.ts'
import type { LoadedMigration } from '../../src/migrator/load-migrations.ts'

describe('history', () => {
  const m = (name: string, id: string, sha256 = 'h'): LoadedMigration => ({
    name,
    file: `${name}.ts`,
    sha256,
    migration: { id, title: id, tier: 'clone' } as GovMigration,
  })
  const entry = (name: string, sha256 = 'h') => ({ name, id: name, tier: 'clone', sha256, applied_at: '' })

  it('reports missing, edited and out-of-order migrations by name', () => {
    const loaded = [m('0001-A', 'A'), m('0002-B', 'B', 'new'), m('0003-C', 'C')]
    assert.deepEqual(historyProblems([entry('0001-A'), entry('0002-B')], loaded), ['0002-B was edited after it was applied'])
    assert.deepEqual(historyProblems([entry('0000-Z')], loaded), ['0000-Z is applied but its file is missing'])
    assert.deepEqual(historyProblems([entry('0001-A'), entry('0003-C')], loaded.map((x) => ({ ...x, sha256: 'h' }))), [
      '0002-B is pending but a later clone migration is applied',
    ])
  })
})
