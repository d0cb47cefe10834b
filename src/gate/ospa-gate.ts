import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { RefusedError } from '../errors.ts'
import { APPROVALS_SCHEMA, APPROVALS_TABLE } from '../guard/connection-facts.ts'

export interface GateReading {
  proposal: string
  ospa: number
}

/**
 * Reads ospa inside the transaction that makes the change, from the approvals table named
 * with its schema (a table of that name earlier on a search path cannot stand in for it).
 * `for share` locks each approval row until commit: an approval deleted meanwhile either
 * waits for us, or, if its delete committed first, is no longer counted. Nothing here writes
 * the table. On a clone the session is the clone's role, which may only read the table
 * (`for share` needs UPDATE) and which nothing else writes there: `lock` is false.
 */
export async function readOspa(db: Kysely<DB>, proposal: string, lock = true): Promise<GateReading> {
  const { rows } = await sql<{ id: string }>`
    select a.id from ${sql.id(APPROVALS_SCHEMA, APPROVALS_TABLE)} a where a.proposal_code operator(pg_catalog.=) ${proposal}${sql.raw(lock ? ' for share' : '')}`.execute(db)
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
