import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { deltaMismatches, measuredDeltas } from '../../src/migrator/migrator.ts'
import { formatDeltas } from '../../src/migrator/migration.ts'

describe('declared deltas', () => {
  it('measures only what changed', () => {
    assert.deepEqual(measuredDeltas({ own: 0, gap: 210, ruleset: 0 }, { own: 30, gap: 0, ruleset: 0 }), { own: 30, gap: -210 })
  })
  it('names every key that differs, undeclared changes included', () => {
    assert.deepEqual(deltaMismatches({ own: 30, gap: -210 }, { own: 30, gap: -210 }), [])
    assert.deepEqual(deltaMismatches({ own: 30, gap: -210 }, { own: 29, gap: -210, cursor: 1 }), [
      'own expected 30, measured 29',
      'cursor expected 0, measured 1',
    ])
  })
  it('prints in DOMAIN.md notation', () => {
    assert.equal(formatDeltas({ own: 30, gap: -210 }), 'own +30, gap -210')
    assert.equal(formatDeltas({}), 'none (writes nothing)')
  })
})

describe('the stage table', async () => {
  const { stagesMarkdown } = await import('../../src/migrator/stages.ts')
  const rows = [{ id: 'A', name: '0001-A', tier: 'clone' as const, title: 'seed', expect: { own: 300, gap: -2100 } }]
  it('says the scale its deltas were evaluated at', () => {
    assert.match(stagesMarkdown(rows, 10), /declared deltas \(scale 10\)/)
    assert.match(stagesMarkdown(rows), /declared deltas \(scale 1\)/)
    assert.match(stagesMarkdown(rows, 10), /\| 1 \| `A` \| clone \| seed \| own \+300, gap -2100 \|/)
  })
})
