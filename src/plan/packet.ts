import { fingerprintSettings, type LoadedConfig } from '../config/load-config.ts'
import { openDatabase } from '../db/database.ts'
import { databaseOf, redact } from '../db/url.ts'
import { GovMigrateError, RefusedError } from '../errors.ts'
import { readMarker } from '../clone/clone.ts'
import { cloneMoves } from '../clone/snapshot.ts'
import { fingerprintOf } from '../fingerprint/read.ts'
import { migrationsOf, up } from '../migrator/migrator.ts'
import { readRehearsals, type RecordedProof } from '../migrator/rehearsals.ts'
import { formatDeltas } from '../migrator/migration.ts'
import { appliedOn, itemMarkdown, planItems, type PlanItem } from './plan.ts'
import { formatQuery } from './format-sql.ts'
import { receiptRefusal, type LoadedReceipt, type Receipt } from '../migrator/receipt.ts'

export interface PacketOptions {
  /** Production (or its stand-in); only read. */
  productionUrl: string
  /** A fresh marked clone of it (no clone stage applied) to rehearse the tiers on. */
  cloneUrl: string
  config: LoadedConfig
  /** When the packet was made (injected so two packets of one state compare byte for byte). */
  now?: Date
  /** The receipt of the tiers' rehearsal on a fresh clone of production: a tier's GO needs it; the packet embeds it. */
  receipt?: LoadedReceipt
}

export interface ReadinessRow {
  id: string
  title: string
  gate: string
  proven: string
  verdict: 'GO' | 'NO-GO' | 'APPLIED'
  reason: string
}

export interface Packet {
  production: string
  clone: string
  ospa: number
  tiers: (PlanItem & { rollback: PlanItem['sql'] })[]
  readiness: ReadinessRow[]
  /** The receipt the GO verdicts rest on, embedded as it was read. */
  receipt: { file: string; sha256: string; receipt: Receipt } | null
  markdown: string
}

/**
 * Stage G: the production rollout packet. Every tier is rehearsed on the clone (up, then
 * down, in one transaction that rolls back), which captures its SQL and its rollback SQL
 * and proves its round trip; the readiness matrix then reads the gate on production.
 */
export async function packet(options: PacketOptions): Promise<Packet> {
  const { config } = options
  const marker = await readMarker(options.cloneUrl)
  if (!marker || marker.cloneName !== databaseOf(options.cloneUrl)) {
    throw new GovMigrateError(`${redact(options.cloneUrl)} is not a marked clone`, 'make one with `migrate clone create --from <production url>`')
  }
  // The tiers are rehearsed on production's state: a clone whose log moved since it was made is
  // not that state (what it carried from a production where tiers ran is).
  const moved = await cloneMoves(options.cloneUrl)
  if (moved.length > 0) {
    throw new RefusedError(
      `refused: since the clone ${marker.cloneName} was made, ${moved.join(', ')}: the packet rehearses the tiers on production's state`,
      'leave out --clone (the packet makes a throwaway clone of production), or pass a fresh clone (`migrate clone create --name <new name>`)',
    )
  }
  const tiers = (await migrationsOf(config)).filter((m) => m.migration.tier === 'production')
  const last = tiers.at(-1)
  if (!last) throw new GovMigrateError('there are no production tiers', 'add production-tier migrations')
  const rehearsal = await up({ url: options.cloneUrl, config, to: last.migration.id, rehearse: true, capture: true, activateEmit: true })
  const items = await planItems(config, rehearsal.steps)
  const rollback = new Map((rehearsal.roundTrip ?? []).map((step) => [step.name, step.sql ?? []]))
  const current = await fingerprintOf(options.productionUrl, fingerprintSettings(config))
  const { ospa } = current
  const applied = await appliedOn(options.productionUrl)
  const { db, close } = openDatabase(options.cloneUrl, { policy: 'clone', max: 1 })
  let proofs: RecordedProof[]
  try {
    proofs = await readRehearsals(db)
  } finally {
    await close()
  }
  const readiness = tiers.map((t): ReadinessRow => {
    const proof = proofs.filter((p) => p.name === t.name && p.sha256 === t.sha256).sort((a, b) => b.proven_at.localeCompare(a.proven_at))[0]
    const decision = t.migration.requiresDecision === true
    const gateOpen = ospa >= 1
    const gate = `ospa = ${ospa}${gateOpen ? ' (open)' : ' (closed)'}${decision ? '; needs --activate-emit' : ''}`
    const proven = proof ? `yes, ${proof.proven_at}` : 'no'
    if (applied.has(t.name)) return { id: t.migration.id, title: t.migration.title, gate, proven, verdict: 'APPLIED', reason: 'already applied on production' }
    const receiptProblem = !options.receipt
      ? 'no receipt of its rehearsal on a fresh clone of production (up --to <tier> --rehearse --receipt <file>)'
      : receiptRefusal(options.receipt, [t], current)
    const reasons = [
      ...(gateOpen ? [] : [`ospa = ${ospa}: ${config.ratificationProposal} not ratified`]),
      ...(proof ? [] : ['round trip not proven on a clone']),
      ...(receiptProblem ? [receiptProblem] : []),
    ]
    return {
      id: t.migration.id,
      title: t.migration.title,
      gate,
      proven,
      verdict: reasons.length === 0 ? 'GO' : 'NO-GO',
      reason: reasons.length === 0 ? (decision ? 'GO only with the explicit emit-activation decision' : 'gate open, round trip proven, receipt matches') : reasons.join('; '),
    }
  })
  const result = {
    production: redact(options.productionUrl),
    clone: redact(options.cloneUrl),
    ospa,
    tiers: items.map((item) => ({ ...item, rollback: rollback.get(item.name) ?? [] })),
    readiness,
    receipt: options.receipt ? { file: options.receipt.file, sha256: options.receipt.sha256, receipt: options.receipt.receipt } : null,
  }
  return { ...result, markdown: packetMarkdown(result, options.now ?? new Date()) }
}

function packetMarkdown(p: Omit<Packet, 'markdown'>, now: Date): string {
  const lines = [
    '# Production rollout packet (stage G)',
    '',
    `- made: ${now.toISOString()}`,
    `- production: \`${databaseOf(p.production)}\` (read through the read-only channel)`,
    `- rehearsed on: \`${databaseOf(p.clone)}\` (every tier up and down in one transaction, rolled back)`,
    `- ospa: ${p.ospa}`,
    '',
    'A clone result does not authorise production. Every tier below runs only when ospa ≥ 1 is read in its own',
    'transaction; T6 additionally needs its own explicit decision (`--activate-emit`).',
    '',
    '## Readiness matrix',
    '',
    '| tier | what | gate on production | round trip proven on a clone | verdict | why |',
    '| --- | --- | --- | --- | --- | --- |',
    ...p.readiness.map((r) => `| ${r.id} | ${r.title} | ${r.gate} | ${r.proven} | **${r.verdict}** | ${r.reason} |`),
    '',
    '## Tiers, in order',
    '',
  ]
  for (const tier of p.tiers) {
    lines.push(...itemMarkdown(tier, '###'), '', 'Rollback (down):', '', '```sql', tier.rollback.length === 0 ? '-- no statement' : tier.rollback.map(formatQuery).join('\n\n'), '```', '')
    lines.push(`Expected after down: ${formatDeltas(Object.fromEntries(Object.entries(tier.expect).map(([k, v]) => [k, -v])))}`, '')
    // On production the numbers come from the receipt (this production's rehearsal), not the declaration.
    const proved = p.receipt?.receipt.tiers.find((t) => t.name === tier.name)
    lines.push(
      proved && p.receipt
        ? `Expected on production: ${formatDeltas(proved.measured_up)} (the receipt's, measured on \`${p.receipt.receipt.clone}\`); its down expects the reverse of what its up measures there.`
        : 'Expected on production: nothing runs: without a receipt that covers this tier, production refuses it.',
      '',
    )
  }
  lines.push('## Receipt', '')
  if (p.receipt) {
    lines.push(`\`${p.receipt.file}\`, sha256 \`${p.receipt.sha256}\`: the GO verdicts above rest on it.`, '', '```json', JSON.stringify(p.receipt.receipt, null, 2), '```', '')
  } else {
    lines.push('None given: no tier is GO without the receipt of its rehearsal on a fresh clone of production.', '')
  }
  lines.push('## Sign-off', '', '| role | name | decision | date |', '| --- | --- | --- | --- |', '| L2 quorum | | | |', '| L4 President (e-sign) | | | |', '')
  return lines.join('\n')
}
