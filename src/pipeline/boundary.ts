import { sql } from 'kysely'
import { narrow, type DB, type On } from '../db/schema.ts'

/**
 * The issue/event boundary, fail-closed in the database itself: an event of an
 * inactive type may be logged, never marked emitted (the trigger raises).
 */
export async function createEmitBoundary<S extends DB>(trx: On<S>): Promise<void> {
  const db = narrow<DB, S>(trx)
  await sql`
    create function gov_event_emit_guard() returns trigger language plpgsql as $$
    begin
      if not exists (select 1 from event_type_registry t where t.event_type = new.event_type and t.active) then
        raise exception 'event type % is inactive: its events cannot be marked emitted', new.event_type
          using errcode = 'check_violation';
      end if;
      return new;
    end $$`.execute(db)
  await sql`
    create trigger gov_event_emit_guard before insert or update of emitted on governance_event_log
    for each row when (new.emitted) execute function gov_event_emit_guard()`.execute(db)
}

export async function dropEmitBoundary<S extends DB>(trx: On<S>): Promise<void> {
  const db = narrow<DB, S>(trx)
  await sql`drop trigger gov_event_emit_guard on governance_event_log`.execute(db)
  await sql`drop function gov_event_emit_guard()`.execute(db)
}

/** The worker cursor only moves forward (the trigger raises on a move backwards). */
export async function createCursorMonotonic<S extends DB>(trx: On<S>): Promise<void> {
  const db = narrow<DB, S>(trx)
  await sql`
    create function gov_worker_cursor_monotonic() returns trigger language plpgsql as $$
    begin
      if new.last_event_id < old.last_event_id or new.events_seen < old.events_seen then
        raise exception 'cursor % cannot move backwards (% -> %)', old.worker_name, old.last_event_id, new.last_event_id
          using errcode = 'check_violation';
      end if;
      return new;
    end $$`.execute(db)
  await sql`
    create trigger gov_worker_cursor_monotonic before update on gov_worker_cursor
    for each row execute function gov_worker_cursor_monotonic()`.execute(db)
}

export async function dropCursorMonotonic<S extends DB>(trx: On<S>): Promise<void> {
  const db = narrow<DB, S>(trx)
  await sql`drop trigger gov_worker_cursor_monotonic on gov_worker_cursor`.execute(db)
  await sql`drop function gov_worker_cursor_monotonic()`.execute(db)
}
