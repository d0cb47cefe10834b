import table from 'text-table'
import type { Fingerprint, FingerprintKey } from '../fingerprint/fingerprint.ts'
import { ORGANIC_KEYS } from '../fingerprint/fingerprint.ts'
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

const organicKeys: readonly string[] = ORGANIC_KEYS

/** A fingerprint as aligned `key value` lines; organic counts marked. */
export function fingerprintLines(fp: Fingerprint, title: string): string[] {
  return [
    title,
    ...columns(
      (Object.keys(fp) as FingerprintKey[]).map((key) => [key, String(fp[key]), organicKeys.includes(key) ? '(organic, not compared)' : '']),
      '  ',
    ),
  ]
}

/** Entry and exit fingerprints side by side, each key marked identical, differs or organic. */
export function fingerprintPairLines(entry: Fingerprint, exit: Fingerprint, title: string): string[] {
  return [
    title,
    ...columns(
      [
        ['key', 'entry', 'exit', ''],
        ...(Object.keys(entry) as FingerprintKey[]).map((key) => {
          const a = String(entry[key])
          const b = String(exit[key])
          return [key, a, b, organicKeys.includes(key) ? 'organic, not compared' : a === b ? 'identical' : 'DIFFERS']
        }),
      ],
      '  ',
    ),
  ]
}

export function statusLines(s: Status): string[] {
  const rows = s.migrations.map((m) => {
    const state = m.applied ? `applied ${m.appliedAt ?? ''}` : m.tier === 'clone' && !s.clone ? 'clone only' : 'pending'
    return [m.id, m.tier, state, `${m.title} [${formatDeltas(m.expect)}]`]
  })
  return [
    `${s.database} (${s.clone ? 'marked clone' : 'not a clone: production tiers only'}): ${s.shape.collections} collections, ${s.shape.groups} groups, ${s.shape.scopes} scopes`,
    ...columns(rows, '  '),
    ...s.problems.map((p) => `  ! ${p}`),
  ]
}

export function verifyLines(result: VerifyResult): string[] {
  return [
    `${result.database}: applied ${result.applied.length === 0 ? 'nothing' : result.applied.join(' ')}`,
    ...columns(result.checks.map((c) => [`${c.ok ? '✓' : '✗'} ${c.name}`, `expected ${c.expected}`, `actual ${c.actual}`])),
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
  const lines = r.steps.flatMap((s) => [stepLine(s, r.rehearsed), ...s.notes.map((n) => `      ${n}`)])
  if (r.rehearsed) {
    lines.push(`round trip: ${(r.roundTrip ?? []).map((s) => s.id).join(' ')} reverted, fingerprint identical; everything rolled back (nothing committed)`)
  }
  return lines
}
