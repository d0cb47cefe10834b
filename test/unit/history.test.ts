import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { historyProblems } from '../../src/migrator/history.ts'
import { closureHash } from '../../src/migrator/module-closure.ts'
import { type GovMigration } from '../../src/migrator/migration.ts'
import type { LoadedMigration } from '../../src/migrator/load-migrations.ts'

describe('history', () => {
  const m = (name: string, id: string, sha256 = 'h', modules: Record<string, string> = { [`migrations/${name}.ts`]: sha256 }): LoadedMigration => ({
    name,
    file: `/p/migrations/${name}.ts`,
    sha256,
    modules,
    migration: { id, title: id, tier: 'clone' } as GovMigration,
  })
  const entry = (name: string, sha256 = 'h', modules: Record<string, string> | null = { [`migrations/${name}.ts`]: sha256 }) => ({
    name, id: name, tier: 'clone', sha256, applied_at: '', modules, sql_sha256: null, receipt_sha256: null, sequences: null, deltas: null,
  })

  it('reports missing, edited and out-of-order migrations by name', () => {
    const loaded = [m('0001-A', 'A'), m('0002-B', 'B', 'new'), m('0003-C', 'C')]
    assert.deepEqual(historyProblems([entry('0001-A'), entry('0002-B')], loaded), [
      'B (0002-B) was edited after it was applied: migrations/0002-B.ts changed',
    ])
    assert.deepEqual(historyProblems([entry('0000-Z')], loaded), ['0000-Z is applied but its file is missing'])
    assert.deepEqual(historyProblems([entry('0001-A'), entry('0003-C')], loaded.map((x) => m(x.name, x.migration.id))), [
      '0002-B is pending but a later clone migration is applied',
    ])
  })

  it('names the imported module that changed, was added or dropped', () => {
    const applied = { 'migrations/0010-LT.ts': 'f', 'src/pipeline/finalization.ts': 'old', 'src/markers.ts': 'k' }
    const now = { 'migrations/0010-LT.ts': 'f', 'src/pipeline/finalization.ts': 'new', 'src/extra.ts': 'x' }
    assert.deepEqual(historyProblems([entry('0010-LT', closureHash(applied), applied)], [m('0010-LT', 'LT', closureHash(now), now)]), [
      'LT (0010-LT) was edited after it was applied: src/extra.ts is now imported, src/markers.ts is no longer imported, src/pipeline/finalization.ts changed',
    ])
  })

  it('reads a log written before closures were kept: the file’s own hash still matches', () => {
    const now = { 'migrations/0001-A.ts': 'file', 'src/pipeline/ownership.ts': 'o' }
    assert.deepEqual(historyProblems([entry('0001-A', 'file', null)], [m('0001-A', 'A', closureHash(now), now)]), [])
    assert.deepEqual(historyProblems([entry('0001-A', 'other', null)], [m('0001-A', 'A', closureHash(now), now)]), [
      'A (0001-A) was edited after it was applied: its file changed',
    ])
  })
})
