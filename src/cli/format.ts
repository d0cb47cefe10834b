import type { Fingerprint, FingerprintKey } from '../fingerprint/fingerprint.ts'
import { ORGANIC_KEYS } from '../fingerprint/fingerprint.ts'
import type { Status } from '../migrator/status.ts'
import { formatDeltas } from '../migrator/migration.ts'
import type { RunResult, StepEvent } from '../migrator/migrator.ts'

/** A fingerprint as aligned `key value` lines; organic counts marked. */
export function fingerprintLines(fp: Fingerprint, title: string): string[] {
  const organic: readonly string[] = ORGANIC_KEYS
  return [
    title,
    ...(Object.keys(fp) as FingerprintKey[]).map(
      (key) => `  ${key.padEnd(18)} ${String(fp[key])}${organic.includes(key) ? '  (organic, not compared)' : ''}`,
    ),
  ]
}

/** Entry and exit fingerprints side by side, each key marked identical, differs or organic. */
export function fingerprintPairLines(entry: Fingerprint, exit: Fingerprint, title: string): string[] {
  const organic: readonly string[] = ORGANIC_KEYS
  return [
    `${title.padEnd(20)} ${'entry'.padEnd(34)} ${'exit'.padEnd(34)}`,
    ...(Object.keys(entry) as FingerprintKey[]).map((key) => {
      const a = String(entry[key])
      const b = String(exit[key])
      const mark = organic.includes(key) ? 'organic, not compared' : a === b ? 'identical' : 'DIFFERS'
      return `  ${key.padEnd(18)} ${a.padEnd(34)} ${b.padEnd(34)} ${mark}`
    }),
  ]
}

export function statusLines(s: Status): string[] {
  const rows = s.migrations.map((m) => {
    const state = m.applied ? `applied ${m.appliedAt ?? ''}` : m.tier === 'clone' && !s.clone ? 'clone only' : 'pending'
    return `  ${m.id.padEnd(4)} ${m.tier.padEnd(10)} ${state.padEnd(30)} ${m.title} [${formatDeltas(m.expect)}]`
  })
  return [
    `${s.database} (${s.clone ? 'marked clone' : 'not a clone: production tiers only'}): ${s.shape.collections} collections, ${s.shape.groups} groups, ${s.shape.scopes} scopes`,
    ...rows,
    ...s.problems.map((p) => `  ! ${p}`),
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
