import { narrow, type DB, type On } from '../db/schema.ts'

export interface WorkerPass {
  batches: number
  eventsSeen: number
  watermark: string | null
}

/**
 * One deterministic pass of a worker over the governance event log (no daemon):
 * events after the cursor, in `batches` batches, the cursor advanced after each
 * (watermark `wm-<batch>`). With no new events it changes nothing.
 */
export async function workerPass<S extends DB>(trx: On<S>, worker: string, batches = 2): Promise<WorkerPass> {
  const db = narrow<DB, S>(trx)
  const cursor = await db.selectFrom('gov_worker_cursor').selectAll().where('worker_name', '=', worker).executeTakeFirst()
  const events = await db
    .selectFrom('governance_event_log')
    .select('id')
    .where('id', '>', cursor?.last_event_id ?? '0')
    .orderBy('id')
    .execute()
  if (events.length === 0) return { batches: 0, eventsSeen: cursor?.events_seen ?? 0, watermark: cursor?.watermark ?? null }
  const size = Math.ceil(events.length / batches)
  let batch = Number(cursor?.watermark.replace('wm-', '') ?? 0)
  let seen = cursor?.events_seen ?? 0
  let exists = cursor !== undefined
  for (let start = 0; start < events.length; start += size) {
    const slice = events.slice(start, start + size)
    const last = slice.at(-1)
    if (!last) break
    batch += 1
    seen += slice.length
    const values = { watermark: `wm-${batch}`, last_event_id: last.id, events_seen: seen }
    if (exists) {
      await db.updateTable('gov_worker_cursor').set({ ...values, updated_at: new Date() }).where('worker_name', '=', worker).execute()
    } else {
      await db.insertInto('gov_worker_cursor').values({ worker_name: worker, ...values }).execute()
      exists = true
    }
  }
  return { batches: Math.ceil(events.length / size), eventsSeen: seen, watermark: `wm-${batch}` }
}
