import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { MARK } from '../markers.ts'

export interface SimulatedEvent {
  eventType: string
  subject: string
}

/** Logs governance events (never emitted) marked with the stage that logged them. */
export async function logEvents(db: Kysely<DB>, stage: string, events: readonly SimulatedEvent[], createdBy: string = MARK.cloneSeed): Promise<void> {
  if (events.length === 0) return
  await db
    .insertInto('governance_event_log')
    .values(events.map((e) => ({ event_type: e.eventType, subject: e.subject, payload: JSON.stringify({ stage, simulated: true }), created_by: createdBy })))
    .execute()
}

/** Removes exactly the events a stage logged. */
export async function removeEvents(db: Kysely<DB>, stage: string, createdBy: string = MARK.cloneSeed): Promise<void> {
  await db
    .deleteFrom('governance_event_log')
    .where('created_by', '=', createdBy)
    .where(sql<string>`payload ->> 'stage'`, '=', stage)
    .execute()
}
