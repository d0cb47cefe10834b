import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'
import ts from 'typescript'
import { ROOT, repoConfig } from '../helpers.ts'
import { migrationsOf, findById } from '../../src/migrator/migrator.ts'
import { schemaFileName } from '../../src/db/schema-files.ts'
import { typeDiff, typeDiffRange } from '../../src/plan/type-diff.ts'

/** Type-checks `files` with the project's compiler options; the diagnostics per file (relative to ROOT). */
function typeCheck(files: string[]): Map<string, string[]> {
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, ROOT)
  const program = ts.createProgram(files, parsed.options)
  const byFile = new Map<string, string[]>()
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file ? relative(ROOT, d.file.fileName) : '(global)'
    byFile.set(file, [...(byFile.get(file) ?? []), ts.flattenDiagnosticMessageText(d.messageText, '\n')])
  }
  return byFile
}

describe('types per stage', () => {
  it('a stage typed against its own schema cannot read a table, or call a step, of a later stage', () => {
    const dir = join(ROOT, 'test/fixtures/typed-stages')
    const files = readdirSync(dir).sort().map((f) => join(dir, f))
    const errors = typeCheck(files)
    const of = (name: string) => errors.get(relative(ROOT, join(dir, name))) ?? []
    assert.match(of('0001-A-reads-a-later-table.ts').join('\n'), /"axis_value"/)
    assert.match(of('0002-A-calls-a-later-step.ts').join('\n'), /Transaction<DB>' is not assignable to parameter of type 'On<DB>'/)
    assert.deepEqual(of('0003-AX-reads-its-own-table.ts'), [])
    assert.deepEqual([...errors.keys()].filter((f) => !f.startsWith('test/fixtures/')), [], 'only the fixtures have errors')
  })

  it('every migration is typed against its own generated schema file', async () => {
    const config = await repoConfig()
    for (const m of await migrationsOf(config)) {
      const text = readFileSync(m.file, 'utf8')
      assert.match(text, new RegExp(`import type \\{ DB \\} from '[./]*/src/db/schema/${schemaFileName(m)}'`), `${m.name} imports its schema`)
      assert.match(text, /defineMigration<DB>\(/, `${m.name} is defined against it`)
    }
  })

  it('the type diff of AX shows the new axis interfaces, that of A none', async () => {
    const config = await repoConfig()
    const loaded = await migrationsOf(config)
    const ax = typeDiff(config, loaded, findById(loaded, 'AX'))
    assert.equal(ax.changed, true)
    for (const name of ['AxisRegistry', 'AxisValue', 'AxisAssignment', 'AxisObjectOwnership', 'AxisCoverageRule', 'AxisProjection', 'VDriftFinding', 'VAxisCoverage']) {
      assert.ok(ax.added.includes(name), name)
      assert.match(ax.patch, new RegExp(`^\\+export interface ${name} \\{$`, 'm'))
    }
    assert.match(ax.patch, /^--- src\/db\/schema\/0005-E\.ts\n\+\+\+ src\/db\/schema\/0006-AX\.ts$/m)
    const a = typeDiff(config, loaded, findById(loaded, 'A'))
    assert.equal(a.changed, false)
    assert.equal(a.patch, '')
    assert.equal(a.summary, 'types: no schema change (0001-A.ts equals 0000-baseline.ts)')
    const all = typeDiffRange(config, loaded, findById(loaded, 'A'), findById(loaded, 'LT'))
    assert.deepEqual([all.before, all.after], ['0000-baseline.ts', '0010-LT.ts'])
    assert.ok(all.added.includes('AxisFacetDecision') && all.added.includes('VProjectionLagTiming'))
    assert.throws(() => typeDiffRange(config, loaded, findById(loaded, 'LT'), findById(loaded, 'A')), /not a range of one track/)
    assert.throws(() => typeDiffRange(config, loaded, findById(loaded, 'A'), findById(loaded, 'T4')), /not a range of one track/)
  })

  it('the tool outside the stages is typed against the baseline only', () => {
    const text = readFileSync(resolve(ROOT, 'src/db/schema.ts'), 'utf8')
    assert.match(text, /export type \{ DB \} from '\.\/schema\/0000-baseline\.ts'/)
  })
})
