import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { RefusedError } from '../errors.ts'

export interface GateReading {
  proposal: string
  ospa: number
}

/**
 * Reads ospa inside the transaction that makes the change. `for share` locks each
 * approval row until commit: an approval deleted meanwhile either waits for us, or,
 * if its delete committed first, is no longer counted. Nothing here writes the table.
 */
export async function readOspa(db: Kysely<DB>, proposal: string): Promise<GateReading> {
  const { rows } = await sql<{ id: string }>`
    select id from os_proposal_approvals where proposal_code = ${proposal} for share`.execute(db)
  return { proposal, ospa: rows.length }
}

/** The production gate: ospa ≥ 1, and for emit activation an explicit decision as well. */
export function gateRefusal(reading: GateReading, options: { needsDecision: boolean; decided: boolean }): string | null {
  if (reading.ospa < 1) {
    return `ospa = ${reading.ospa}: proposal ${reading.proposal} has no approval in os_proposal_approvals`
  }
  if (options.needsDecision && !options.decided) return 'emit activation needs its own explicit decision'
  return null
}

export function refuseGate(id: string, refusal: string, needsDecision: boolean): never {
  throw new RefusedError(
    `refused: production tier ${id} is gated: ${refusal}`,
    needsDecision && !refusal.startsWith('ospa')
      ? 'pass --activate-emit to record the explicit emit-activation decision'
      : 'wait for the human L2/L4 ratification; this tool never writes approvals',
  )
}
