import type { Fingerprint, FingerprintKey } from '../fingerprint/fingerprint.ts'
import { KIND } from '../fingerprint/fingerprint.ts'
import { deltaMismatches } from '../migrator/migrator.ts'
import { formatDeltas } from '../migrator/migration.ts'
import { formatQuery } from '../plan/format-sql.ts'
import { typeDiffMarkdown } from '../plan/type-diff.ts'
import type { RehearseRecord, StageRecord } from './rehearse.ts'

export interface StageVerdict {
  id: string
  verdict: 'PASS' | 'FAIL' | 'NOT RUN'
  why: string
}

/** The evidence packet's data: the record plus verdicts derived from it (pure: same record, same report). */
export interface Report {
  generatedAt: string
  record: RehearseRecord
  verdicts: StageVerdict[]
  goNoGo: { item: string; decision: 'DONE' | 'GO' | 'NO-GO'; why: string }[]
}

function stageVerdict(stage: StageRecord): StageVerdict {
  if (stage.measured === null) return { id: stage.id, verdict: 'NOT RUN', why: 'the rehearsal stopped before this stage' }
  const up = deltaMismatches(stage.expected, stage.measured)
  const down = stage.measuredDown === null ? ['not reverted'] : deltaMismatches(Object.fromEntries(Object.entries(stage.expected).map(([k, v]) => [k, -v])), stage.measuredDown)
  const failedChecks = stage.verified?.failed ?? 1
  const problems = [...up.map((m) => `up: ${m}`), ...down.map((m) => `down: ${m}`), ...(failedChecks > 0 ? [`${failedChecks} verify checks failed`] : [])]
  return { id: stage.id, verdict: problems.length === 0 ? 'PASS' : 'FAIL', why: problems.length === 0 ? 'declared = measured up and down, verify green' : problems.join('; ') }
}

export function buildReport(record: RehearseRecord, generatedAt: Date): Report {
  const ospa = record.exit?.ospa ?? record.entry.ospa
  return {
    generatedAt: generatedAt.toISOString(),
    record,
    verdicts: record.stages.map(stageVerdict),
    goNoGo: [
      { item: 'clone pipeline A–F', decision: record.verdict === 'PASS' ? 'DONE' : 'NO-GO', why: record.verdict === 'PASS' ? 'every stage advanced, verified, reverted and re-applied on the clone' : `failed at ${record.failedStep ?? '?'}` },
      { item: 'production tiers T1–T5', decision: ospa >= 1 ? 'GO' : 'NO-GO', why: ospa >= 1 ? `ospa = ${ospa}` : `ospa = ${ospa}: ratification not enacted (a clone result never authorises production)` },
      { item: 'emit activation T6', decision: 'NO-GO', why: 'needs its own explicit decision besides ospa ≥ 1' },
    ],
  }
}

function fingerprintTable(entry: Fingerprint, exit: Fingerprint | null): string[] {
  return [
    '| key | entry | exit | |',
    '| --- | --- | --- | --- |',
    ...(Object.keys(entry) as FingerprintKey[])
      .filter((key) => key !== 'health')
      .map((key) => {
        const a = String(entry[key])
        const b = exit ? String(exit[key]) : '—'
        const kind = KIND[key]
        const mark =
          kind === 'organic' ? `organic, not compared${exit && Number(b) < Number(a) ? ' (fell)' : ''}` : kind === 'health' ? 'health, not compared' : a === b ? 'identical' : '**differs**'
        return `| ${key} | ${a} | ${b} | ${mark} |`
      }),
  ]
}

export function reportMarkdown(report: Report): string {
  const r = report.record
  const lines = [
    `# Clone rehearsal evidence: ${r.clone}`,
    '',
    `- generated: ${report.generatedAt}`,
    `- run: ${r.startedAt} → ${r.finishedAt}`,
    `- production: \`${r.production}\` (read-only); clone: \`${r.clone}\``,
    `- verdict: **${r.verdict}**${r.failedStep ? ` (failed at ${r.failedStep})` : ''}`,
    '',
    '## Verdict per stage',
    '',
    '| stage | what | verdict | why |',
    '| --- | --- | --- | --- |',
    ...r.stages.map((s, i) => `| ${s.id} | ${s.title} | **${report.verdicts[i]?.verdict ?? ''}** | ${report.verdicts[i]?.why ?? ''} |`),
    '',
    '## Production fingerprint, entry and exit',
    '',
    ...fingerprintTable(r.entry, r.exit),
    '',
    '## GO / NO-GO',
    '',
    '| item | decision | why |',
    '| --- | --- | --- |',
    ...report.goNoGo.map((g) => `| ${g.item} | **${g.decision}** | ${g.why} |`),
    '',
    '## Steps',
    '',
    ...r.steps.map((s) => `- ${s.ok ? '✓' : '✗'} ${s.step}: ${s.detail}`),
    '',
    '## Stages',
    '',
  ]
  for (const s of r.stages) {
    lines.push(
      `### ${s.id}: ${s.title}`,
      '',
      `- file: \`${s.name}.ts\`, sha256 \`${s.sha256}\``,
      `- declared: ${formatDeltas(s.expected)}`,
      `- measured up: ${s.measured ? formatDeltas(s.measured) : 'not run'}`,
      `- measured down: ${s.measuredDown ? formatDeltas(s.measuredDown) : 'not run'}`,
      `- verify after up: ${s.verified ? `${s.verified.passed} passed, ${s.verified.failed} failed` : 'not run'}`,
      ...s.notes.map((n) => `- reading: ${n}`),
      '',
      ...(s.types ? typeDiffMarkdown(s.types) : ['types: not recorded in this rehearsal']),
      '',
      '```sql',
      s.sql.length === 0 ? '-- no statement' : s.sql.map(formatQuery).join('\n\n'),
      '```',
      '',
    )
  }
  return lines.join('\n')
}
