import { sql } from 'kysely'
import { narrow, type DB, type On } from '../db/schema.ts'
import { MARK } from '../markers.ts'

export interface SimulatedEvent {
  eventType: string
  subject: string
}

/** Logs governance events (never emitted) marked with the stage that logged them. */
export async function logEvents<S extends DB>(trx: On<S>, stage: string, events: readonly SimulatedEvent[], createdBy: string = MARK.cloneSeed): Promise<void> {
  const db = narrow<DB, S>(trx)
  if (events.length === 0) return
  await db
    .insertInto('governance_event_log')
    .values(events.map((e) => ({ event_type: e.eventType, subject: e.subject, payload: JSON.stringify({ stage, simulated: true }), created_by: createdBy })))
    .execute()
}

/** Removes exactly the events a stage logged. */
export async function removeEvents<S extends DB>(trx: On<S>, stage: string, createdBy: string = MARK.cloneSeed): Promise<void> {
  const db = narrow<DB, S>(trx)
  await db
    .deleteFrom('governance_event_log')
    .where('created_by', '=', createdBy)
    .where(sql<string>`payload ->> 'stage'`, '=', stage)
    .execute()
}
