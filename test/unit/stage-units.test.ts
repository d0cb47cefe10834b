import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ROOT, repoConfig } from '../helpers.ts'
import { findById, migrationsOf } from '../../src/migrator/migrator.ts'
import { addDeltas } from '../../src/migrator/migration.ts'
import { SCALE_1 } from '../../src/migrator/stages.ts'
import { BASELINE_FILE, readSchemaFile, schemaFilesAround } from '../../src/db/schema-files.ts'
import { METRICS, metricsWith } from '../../src/fingerprint/metrics.ts'

/** The tables and views of a generated schema file (the keys of its `DB` interface). */
function relationsOf(text: string | undefined): Set<string> {
  const body = /^export interface DB \{\n([\s\S]*?)^\}/m.exec(text ?? '')?.[1]
  assert.ok(body, 'a generated schema file with a DB interface')
  return new Set([...body.matchAll(/^\s+(\w+):/gm)].map((m) => m[1] ?? ''))
}

describe('a stage is one unit', () => {
  it('the production tiers that repeat clone stages declare those stages’ units (without the clone’s scanner re-runs)', async () => {
    const loaded = await migrationsOf(await repoConfig())
    const shape = { ...SCALE_1, collections: 70, groups: 10 }
    const of = (id: string) => findById(loaded, id).migration.expect(shape)
    const withoutRerun = (id: string) => addDeltas(of(id), { scan_run: -1 })
    const nonZero = (d: Record<string, number>) => Object.fromEntries(Object.entries(d).filter(([, v]) => v !== 0))
    assert.deepEqual(of('T1'), of('A'))
    assert.deepEqual(of('T2'), addDeltas(of('C'), { scan_run: -1 }), 'T2 is C with one scan')
    assert.deepEqual(nonZero(of('T3')), nonZero(addDeltas(of('D'), { event_log: -4 * shape.groups }, of('E'))), 'T3 is D without its simulated events, and E')
    assert.deepEqual(nonZero(of('T4')), nonZero(withoutRerun('AX')))
    assert.deepEqual(nonZero(of('T5')), nonZero(addDeltas(...['RC', 'KG', 'CN', 'LT'].map(withoutRerun))))
    for (const [tier, stages] of [['0101-T1', ['0001-A']], ['0102-T2', ['0003-C']], ['0103-T3', ['0004-D', '0005-E']], ['0104-T4', ['0006-AX']], ['0105-T5', ['0007-RC', '0008-KG', '0009-CN', '0010-LT']]] as const) {
      const text = readFileSync(findById(loaded, tier.slice(5)).file, 'utf8')
      for (const stage of stages) assert.match(text, new RegExp(`from '\\./${stage}-[a-z-]+\\.ts'`), `${tier} imports ${stage}`)
      // A tier reuses units: it assembles no pipeline step of its own.
      assert.doesNotMatch(text, /from '\.\.\/src\/pipeline\/(?!gates\.ts')/, `${tier} imports pipeline steps itself`)
    }
  })

  it('verify and the metrics name no stage and keep no stand-in constants of their own', () => {
    for (const file of ['src/verify/verify.ts', 'src/fingerprint/metrics.ts']) {
      const code = readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
      assert.doesNotMatch(code, /'(A|B|C|D|E|AX|RC|KG|CN|LT|T\d)'|'wm-\d+'/, file)
    }
  })

  it('the metrics name no relation a stage creates; each stage number reads a relation its own stage creates', async () => {
    const config = await repoConfig()
    const loaded = await migrationsOf(config)
    const baseline = relationsOf(readSchemaFile(config, BASELINE_FILE))
    const created = new Set<string>()
    for (const m of loaded) {
      const { before, after } = schemaFilesAround(loaded, m)
      const [was, is] = [relationsOf(readSchemaFile(config, before)), relationsOf(readSchemaFile(config, after))]
      const own = [...is].filter((r) => !was.has(r))
      for (const r of own) created.add(r)
      for (const metric of m.migration.metrics ?? []) {
        assert.ok(metric.requires && own.includes(metric.requires), `${m.migration.id}'s number ${metric.key} reads ${metric.requires ?? 'nothing'}, which ${m.migration.id} does not create`)
      }
    }
    assert.ok(created.has('v_drift_finding') && created.has('axis_facet_decision'), 'the stages create relations')
    const code = readFileSync(join(ROOT, 'src/fingerprint/metrics.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
    for (const relation of created) assert.doesNotMatch(code, new RegExp(`\\b${relation}\\b`), `metrics.ts names ${relation}, which a stage creates`)
    // The tool's own numbers read only the baseline (or the catalog).
    for (const m of METRICS) {
      for (const [, relation = ''] of m.expression.matchAll(/\b(?:from|join)\s+(\w+)/g)) {
        assert.ok(baseline.has(relation) || relation.startsWith('pg_'), `the tool's number ${m.key} reads ${relation}, not in the baseline`)
      }
    }
    const keys = new Set(metricsWith(loaded).map((m) => m.key))
    // The same numbers as when they were all listed in metrics.ts: only where they are defined moved.
    assert.deepEqual([...keys].sort(), [
      'axis_own', 'axis_tables', 'cand_object', 'cand_state', 'containment_assign', 'containment_gap', 'containment_required',
      'cursor', 'decisions', 'divergent', 'drift_critical', 'drift_open', 'event_log', 'gap', 'gov_active', 'gov_emit',
      'lag_placeholder', 'lag_real', 'own', 'projection_gap', 'quality', 'rule_missing', 'ruleset', 'scan_run',
      'topic_active', 'topic_assign', 'topic_candidate',
    ])
    // Every number a stage declares a delta of is defined: by the tool or by a loaded stage.
    for (const m of loaded) for (const key of Object.keys(m.migration.expect(SCALE_1))) assert.ok(keys.has(key), `${m.migration.id} declares ${key}`)
  })

  it('two stages may share a number only with one definition', () => {
    const a = { name: 'x', migration: { metrics: [{ key: 'n', expression: 'select 1', requires: 't' }] } }
    const same = { name: 'y', migration: { metrics: [{ key: 'n', expression: 'select 1', requires: 't' }] } }
    const other = { name: 'z', migration: { metrics: [{ key: 'n', expression: 'select 2', requires: 't' }] } }
    assert.equal(metricsWith([a, same]).filter((m) => m.key === 'n').length, 1)
    assert.throws(() => metricsWith([a, other]), /the number n is defined twice, differently: by x and by z/)
    assert.throws(() => metricsWith([{ name: 'w', migration: { metrics: [{ key: 'own', expression: 'select 0' }] } }]), /defined twice/)
  })
})
