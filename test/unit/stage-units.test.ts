import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ROOT, repoConfig } from '../helpers.ts'
import { findById, migrationsOf } from '../../src/migrator/migrator.ts'
import { addDeltas } from '../../src/migrator/migration.ts'
import { SCALE_1 } from '../../src/migrator/stages.ts'

describe('a stage is one unit', () => {
  it('the production tiers that repeat clone stages declare those stages’ units (without the clone’s scanner re-runs)', async () => {
    const loaded = await migrationsOf(await repoConfig())
    const shape = { ...SCALE_1, collections: 70, groups: 10 }
    const of = (id: string) => findById(loaded, id).migration.expect(shape)
    const withoutRerun = (id: string) => addDeltas(of(id), { scan_run: -1 })
    const nonZero = (d: Record<string, number>) => Object.fromEntries(Object.entries(d).filter(([, v]) => v !== 0))
    assert.deepEqual(of('T1'), of('A'))
    assert.deepEqual(nonZero(of('T4')), nonZero(withoutRerun('AX')))
    assert.deepEqual(nonZero(of('T5')), nonZero(addDeltas(...['RC', 'KG', 'CN', 'LT'].map(withoutRerun))))
    for (const [tier, stages] of [['0101-T1', ['0001-A']], ['0104-T4', ['0006-AX']], ['0105-T5', ['0007-RC', '0008-KG', '0009-CN', '0010-LT']]] as const) {
      const text = readFileSync(findById(loaded, tier.slice(5)).file, 'utf8')
      for (const stage of stages) assert.match(text, new RegExp(`from '\\./${stage}-[a-z-]+\\.ts'`), `${tier} imports ${stage}`)
    }
  })

  it('verify and the metrics name no stage and keep no stand-in constants of their own', () => {
    for (const file of ['src/verify/verify.ts', 'src/fingerprint/metrics.ts']) {
      const code = readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
      assert.doesNotMatch(code, /'(A|B|C|D|E|AX|RC|KG|CN|LT|T\d)'|'wm-\d+'/, file)
    }
  })
})
