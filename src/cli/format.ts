import table from 'text-table'
import type { Fingerprint, FingerprintKey } from '../fingerprint/fingerprint.ts'
import { healthWarnings, KIND } from '../fingerprint/fingerprint.ts'
import type { Status } from '../migrator/status.ts'
import { formatDeltas } from '../migrator/migration.ts'
import type { RunResult, StepEvent } from '../migrator/migrator.ts'
import type { VerifyResult } from '../verify/verify.ts'

/** Aligned columns for a terminal (two spaces between columns, each row indented by `indent`). */
export function columns(rows: readonly (readonly string[])[], indent = ''): string[] {
  if (rows.length === 0) return []
  return table(rows.map((r) => [...r]), { hsep: '  ' })
    .split('\n')
    .map((line) => `${indent}${line}`.trimEnd())
}

const MARK = { governance: '', organic: '(organic: reported, not compared)', health: '(health: a warning, not compared)' } as const

/** The keys printed as `key value`: every reading but the health details (printed as warnings). */
const scalarKeys = (fp: Fingerprint) => (Object.keys(fp) as FingerprintKey[]).filter((key) => key !== 'health')

/** A fingerprint as aligned `key value` lines, organic and health readings marked, then any health warning. */
export function fingerprintLines(fp: Fingerprint, title: string): string[] {
  return [
    title,
    ...columns(scalarKeys(fp).map((key) => [key, String(fp[key]), MARK[KIND[key]]]), '  '),
    ...healthWarnings(fp).map((w) => `  ! health: ${w}`),
  ]
}

/** Entry and exit fingerprints side by side, each key marked identical, differs, organic (old → new) or health. */
export function fingerprintPairLines(entry: Fingerprint, exit: Fingerprint, title: string): string[] {
  return [
    title,
    ...columns(
      [
        ['key', 'entry', 'exit', ''],
        ...scalarKeys(entry).map((key) => {
          const a = String(entry[key])
          const b = String(exit[key])
          const kind = KIND[key]
          return [key, a, b, kind === 'organic' ? `organic, not compared${Number(b) < Number(a) ? ' (fell)' : ''}` : kind === 'health' ? 'health, not compared' : a === b ? 'identical' : 'DIFFERS']
        }),
      ],
      '  ',
    ),
    ...healthWarnings(exit).map((w) => `  ! health: ${w}`),
  ]
}

export function statusLines(s: Status): string[] {
  const rows = s.migrations.map((m) => {
    const state = m.applied ? `applied ${m.appliedAt ?? ''}` : m.tier === 'clone' && !s.clone ? 'clone only' : 'pending'
    return [m.id, m.tier, state, `${m.title} [${formatDeltas(m.expect)}${m.expectFrom === 'log' ? ', as measured here' : ''}]`]
  })
  return [
    `${s.database} (${s.clone ? 'marked clone' : 'not a clone: production tiers only'}): ${s.shape.collections} collections, ${s.shape.groups} groups, ${s.shape.scopes} scopes`,
    ...columns(rows, '  '),
    ...s.problems.map((p) => `  ! ${p}`),
  ]
}

export function verifyLines(result: VerifyResult): string[] {
  return [
    `${result.database}${result.production ? ' (production, read-only channel)' : ''}: applied ${result.applied.length === 0 ? 'nothing' : result.applied.join(' ')}`,
    // The preflight's rows read check · required · actual.
    ...columns(result.checks.map((c) => [`${c.ok ? '✓' : '✗'} ${c.name}`, `${c.name.startsWith('preflight:') ? 'required' : 'expected'} ${c.expected}`, `actual ${c.actual}`])),
    ...result.skipped.map((s) => `- skipped ${s}`),
    `${result.checks.filter((c) => c.ok).length} checks passed, ${result.checks.filter((c) => !c.ok).length} failed`,
  ]
}

function stepLine(s: StepEvent, rehearsed: boolean): string {
  const verb = rehearsed ? (s.direction === 'up' ? 'would apply ' : 'would revert') : s.direction === 'up' ? 'applied ' : 'reverted'
  const gate = s.gate ? ` [gate ${s.gate}]` : ''
  return `${verb} ${s.id.padEnd(4)} ${s.title} — measured ${formatDeltas(s.measured)}${gate} (${s.ms} ms)`
}

export function runLines(r: RunResult): string[] {
  if (r.steps.length === 0) return [`nothing to ${r.direction === 'up' ? 'apply' : 'revert'} (${r.track} track)`]
  // A production tier says where its expected numbers come from (declaration, receipt or log).
  const lines = r.steps.flatMap((s) => [stepLine(s, r.rehearsed), ...(s.tier === 'production' ? [`      expected ${formatDeltas(s.expected)} — from ${s.expectedFrom}`] : []), ...s.notes.map((n) => `      ${n}`)])
  if (r.rehearsed) {
    lines.push(`round trip: ${(r.roundTrip ?? []).map((s) => s.id).join(' ')} reverted, fingerprint identical; everything rolled back (nothing committed)`)
  }
  return lines
}
