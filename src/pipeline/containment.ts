import { sql } from 'kysely'
import { narrow, type On } from '../db/schema.ts'
import type { DB } from '../db/schema/0009-CN.ts'

/**
 * Fail-closed ownership for ruled structural axes: an assignment on an axis that has a
 * coverage rule is rejected unless the object has an owner on that axis.
 */
export async function createAssignmentOwnedGuard<S extends DB>(trx: On<S>): Promise<void> {
  const db = narrow<DB, S>(trx)
  await sql`
    create function axis_assignment_owned() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from axis_coverage_rule r join axis_registry x using (axis_code)
                 where r.axis_code = new.axis_code and x.kind = 'structural')
         and not exists (select 1 from axis_object_ownership o
                         where o.axis_code = new.axis_code and o.object_kind = new.object_kind
                           and o.object_code = new.object_code) then
        raise exception 'unowned % assignment of % % is rejected', new.axis_code, new.object_kind, new.object_code
          using errcode = 'foreign_key_violation';
      end if;
      return new;
    end $$`.execute(db)
  await sql`
    create trigger axis_assignment_owned before insert or update on axis_assignment
    for each row execute function axis_assignment_owned()`.execute(db)
}

export async function dropAssignmentOwnedGuard<S extends DB>(trx: On<S>): Promise<void> {
  const db = narrow<DB, S>(trx)
  await sql`drop trigger axis_assignment_owned on axis_assignment`.execute(db)
  await sql`drop function axis_assignment_owned()`.execute(db)
}
