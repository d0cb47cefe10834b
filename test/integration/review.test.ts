import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { cli, fingerprint, markedClone, standIn, pipelineMetrics } from '../helpers.ts'
import { openDatabase } from '../../src/db/database.ts'
import { readMetrics, type Metrics } from '../../src/fingerprint/metrics.ts'
import { writerRoleName } from '../../src/db/clone-role.ts'
import { databaseOf, ident } from '../../src/db/url.ts'

async function metricsOf(url: string): Promise<Metrics> {
  const { db, close } = openDatabase(url, { policy: 'any', readOnly: true, max: 1 })
  try {
    return await readMetrics(db, await pipelineMetrics())
  } finally {
    await close()
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'gov-migrate-review-'))
after(() => rmSync(scratch, { recursive: true, force: true }))

describe('what a reviewer reads', () => {
  it('plan --format sql is a script psql runs as it is, with the same measured deltas as up', async () => {
    const production = await standIn()
    const [captureOn, viaPsql, viaUp] = [await markedClone(production), await markedClone(production), await markedClone(production)]
    const plan = await cli(['plan', '--format', 'sql', '--url', captureOn])
    assert.equal(plan.code, 0, plan.stderr)
    assert.doesNotMatch(plan.stdout, /\$\d+\b(?![^$]*\$\$)/, 'no placeholder is left outside dollar-quoted bodies')
    const summary = plan.stdout.split('\n').find((line) => line.startsWith('-- AX '))
    assert.match(summary ?? '', /^-- AX {2}clone {7}types: \+8 interfaces \(AxisAssignment, .*\); changed DB {2}\| {2}data: axis_tables \+6, .* {2}\| {2}gates: none$/)
    assert.match(plan.stdout, new RegExp(`^-- Run it as the clone's writer role, .*\\n--   psql -X -f <this file> 'postgres://${writerRoleName(databaseOf(captureOn))}@<host>/${databaseOf(captureOn)}'$`, 'm'))
    const file = join(scratch, 'plan.sql')
    writeFileSync(file, plan.stdout)
    const run = (url: string, ...before: string[]) =>
      spawnSync('psql', ['-X', '-q', '-o', '/dev/null', ...before.flatMap((c) => ['-c', c]), '-f', file, url], { encoding: 'utf8' })
    // As any other role (here the admin), on production, or on a golden snapshot, it stops before its first statement.
    for (const [url, role] of [[viaPsql, null], [production, null], [viaPsql, 'pg_monitor']] as const) {
      const refused = run(url, ...(role ? [`set role ${role}`] : []))
      assert.equal(refused.status, 3, refused.stderr)
      assert.match(refused.stderr, /refused: this plan runs only on a marked clone, as the writer role its marker names; here the database is \S+ and the role \S+/)
    }
    assert.equal((await fingerprint(viaPsql)).own, 0, 'a refused script changed nothing')
    assert.equal((await fingerprint(production)).own, 0, 'a refused script changed nothing on production')
    // As the clone's own role, the one `up` runs as, so the objects belong to the same owner.
    const psql = run(viaPsql, `set role ${ident(writerRoleName(databaseOf(viaPsql)))}`)
    assert.equal(psql.status, 0, psql.stderr)
    const up = await cli(['up', '--url', viaUp])
    assert.equal(up.code, 0, up.stderr)
    const [a, b] = [await metricsOf(viaPsql), await metricsOf(viaUp)]
    assert.deepEqual(a, b)
    assert.equal(a.own, 30)
    assert.equal(a.drift_open, 38)
    assert.equal((await fingerprint(captureOn)).own, 0, 'the plan changed nothing where it was captured')
  })

  it('the plan starts with one summary line per stage, and shows each stage’s type diff', async () => {
    const clone = await markedClone(await standIn())
    const plan = await cli(['plan', '--to', 'AX', '--url', clone])
    assert.equal(plan.code, 0, plan.stderr)
    assert.match(plan.stdout, /^\| 1 \| A \| clone \| no schema change \(0001-A\.ts equals 0000-baseline\.ts\) \| own \+30, gap -210 \| none \|$/m)
    assert.match(plan.stdout, /^\| 6 \| AX \| clone \| \+8 interfaces/m)
    assert.ok(plan.stdout.indexOf('| 6 | AX |') < plan.stdout.indexOf('## A:'), 'the summary comes before the detail')
    assert.match(plan.stdout, /```diff\n--- src\/db\/schema\/0005-E\.ts\n\+\+\+ src\/db\/schema\/0006-AX\.ts\n[\s\S]*^\+export interface AxisValue \{$/m)
    const json = JSON.parse((await cli(['plan', '--to', 'AX', '--url', clone, '--format', 'json'])).stdout) as {
      items: { id: string; types: { changed: boolean; added: string[]; patch: string } }[]
      summary: { id: string; types: string }[]
    }
    assert.equal(json.items.find((i) => i.id === 'A')?.types.changed, false)
    assert.ok(json.items.find((i) => i.id === 'AX')?.types.added.includes('AxisRegistry'))
    assert.equal(json.summary.length, 6)
  })

  it('diff AX shows the new axis interfaces, the SQL both ways and the deltas; diff A says it changes no schema', async () => {
    const clone = await markedClone(await standIn())
    assert.equal((await cli(['up', '--to', 'E', '--url', clone])).code, 0)
    const ax = await cli(['diff', 'AX', '--url', clone])
    assert.equal(ax.code, 0, ax.stderr)
    for (const name of ['AxisRegistry', 'AxisValue', 'AxisAssignment', 'AxisObjectOwnership', 'AxisCoverageRule', 'AxisProjection', 'VDriftFinding', 'VAxisCoverage']) {
      assert.match(ax.stdout, new RegExp(`^\\+export interface ${name} \\{$`, 'm'))
    }
    assert.match(ax.stdout, /SQL \(up\):\n\n```sql\ncreate table "axis_registry" \(\n {2}"axis_code" text primary key,/)
    assert.match(ax.stdout, /Rollback SQL \(down\):\n\n```sql\n[\s\S]*drop table "axis_registry"/)
    assert.match(ax.stdout, /^- declared deltas: axis_tables \+6, /m)
    assert.match(ax.stdout, /^- measured down: .*axis_tables -6/m)
    assert.equal((await fingerprint(clone)).axis_tables, 0, 'diff changed nothing')

    const a = await cli(['diff', 'A', '--url', await markedClone(await standIn())])
    assert.equal(a.code, 0, a.stderr)
    assert.match(a.stdout, /^types: no schema change \(0001-A\.ts equals 0000-baseline\.ts\)$/m)
    assert.doesNotMatch(a.stdout, /```diff/)

    const applied = await cli(['diff', 'E', '--url', clone])
    assert.equal(applied.code, 1)
    assert.match(applied.stderr, /^migrate: E already applied on .* — fix: revert it first \(migrate down --to D\) or use a fresh clone\n$/)
  })

  it('diff --from --to gives one type diff across a range and each stage’s part', async () => {
    const clone = await markedClone(await standIn())
    const result = await cli(['diff', '--from', 'A', '--to', 'RC', '--url', clone, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const d = JSON.parse(result.stdout) as { types: { before: string; after: string; added: string[] }; stages: { id: string; sql: unknown[]; rollback: unknown[] }[] }
    assert.deepEqual([d.types.before, d.types.after], ['0000-baseline.ts', '0007-RC.ts'])
    assert.ok(d.types.added.includes('AxisFacetDecision'))
    assert.deepEqual(d.stages.map((s) => s.id), ['A', 'B', 'C', 'D', 'E', 'AX', 'RC'])
    assert.ok(d.stages.every((s) => s.id === 'B' || (s.sql.length > 0 && s.rollback.length > 0)))
    const mixed = await cli(['diff', '--from', 'A', '--to', 'T1', '--url', clone])
    assert.equal(mixed.code, 1)
    assert.match(mixed.stderr, /not a range of one track/)
  })
})
