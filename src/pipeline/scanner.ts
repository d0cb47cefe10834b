import { sql } from 'kysely'
import { narrow, type DB, type On } from '../db/schema.ts'
import { GovMigrateError } from '../errors.ts'
import { MARK } from '../markers.ts'

export interface ScanOptions {
  ruleset: string
  /** Scan runs are numbered per ruleset: `${prefix}${n}`. */
  runPrefix: string
  /** The stage that triggered the run; its down removes exactly this run. */
  triggeredBy: string
  createdBy?: string
}

export interface ScanResult {
  runId: string
  statesSeen: number
  objectsSeen: number
  newStates: number
  newObjects: number
}

/** The tables that hold a ruleset's candidates, each capped by the database. */
const CANDIDATE_TABLES = ['governance_candidate_state', 'governance_candidate_object'] as const

/** The name under which the database refuses a ruleset over its cap (function, triggers, error's constraint). */
export const CANDIDATE_CAP = 'governance_candidate_cap'

/**
 * The scanner's hard cap, enforced by the database: after every statement that adds or moves
 * candidates (or lowers a ruleset's `max_candidates`), a ruleset that holds more candidate states
 * and objects together than its `max_candidates` is refused (SQLSTATE 23514, constraint
 * `governance_candidate_cap`), the statement and its transaction with it. Statement-level
 * triggers over the statement's new rows: one count per ruleset touched, not one per row.
 */
export async function createCandidateCap<S extends DB>(trx: On<S>): Promise<void> {
  const db = narrow<DB, S>(trx)
  await sql`
    create function governance_candidate_cap() returns trigger language plpgsql as $$
    declare
      over record;
    begin
      select r.ruleset_version, r.max_candidates, held.n into over
      from governance_ruleset r
      cross join lateral (
        select (select count(*) from governance_candidate_state s where s.ruleset_version = r.ruleset_version)
             + (select count(*) from governance_candidate_object o where o.ruleset_version = r.ruleset_version) as n
      ) held
      where r.ruleset_version in (select a.ruleset_version from added a) and held.n > r.max_candidates
      order by r.ruleset_version
      limit 1;
      if found then
        raise exception 'ruleset % would hold % candidates, over its hard cap of %', over.ruleset_version, over.n, over.max_candidates
          using errcode = 'check_violation', constraint = 'governance_candidate_cap';
      end if;
      return null;
    end $$`.execute(db)
  // A trigger with a transition table has one event; hence one per event and table.
  for (const table of [...CANDIDATE_TABLES, 'governance_ruleset']) {
    for (const event of table === 'governance_ruleset' ? ['update'] : ['insert', 'update']) {
      await sql`create trigger ${sql.id(`${CANDIDATE_CAP}_${event}`)} after ${sql.raw(event)} on ${sql.id(table)}
        referencing new table as added for each statement execute function governance_candidate_cap()`.execute(db)
    }
  }
}

export async function dropCandidateCap<S extends DB>(trx: On<S>): Promise<void> {
  const db = narrow<DB, S>(trx)
  for (const table of [...CANDIDATE_TABLES, 'governance_ruleset']) {
    for (const event of table === 'governance_ruleset' ? ['update'] : ['insert', 'update']) {
      await sql`drop trigger ${sql.id(`${CANDIDATE_CAP}_${event}`)} on ${sql.id(table)}`.execute(db)
    }
  }
  await sql`drop function governance_candidate_cap()`.execute(db)
}

/** The database's refusal of a ruleset over its cap, as the tool's error; anything else as it is. */
function capRefusal(error: unknown): unknown {
  const e = error as { code?: string; constraint?: string; message?: string }
  if (e.code !== '23514' || e.constraint !== CANDIDATE_CAP) return error
  return new GovMigrateError(
    `the database refused the scan: ${e.message ?? 'over the hard cap'}`,
    'raise scanner.maxCandidates in kysely.config.ts (on production: a new ruleset version, after review); nothing was written',
    { cause: error },
  )
}

/**
 * One deterministic scanner pass (no daemon). Candidates are the anchored groups
 * (one state each) and the collections whose coverage comes through them (one
 * object each). Existing candidates are left as they are, so a re-run adds only
 * its run row. The ruleset's `max_candidates` is a hard cap the database enforces
 * (`createCandidateCap`): a pass over it is refused whole.
 */
export async function scan<S extends DB>(trx: On<S>, options: ScanOptions): Promise<ScanResult> {
  const db = narrow<DB, S>(trx)
  const ruleset = await db
    .selectFrom('governance_ruleset')
    .select('ruleset_version')
    .where('ruleset_version', '=', options.ruleset)
    .executeTakeFirst()
  if (!ruleset) {
    throw new GovMigrateError(`ruleset ${options.ruleset} does not exist`, 'apply the scanner write-half stage (C) first')
  }
  const anchoredGroups = db
    .selectFrom('governance_object_ownership')
    .where('object_kind', '=', 'group')
    .select('object_code as group_code')
    .distinct()
  const states = await db.selectFrom(anchoredGroups.as('g')).select('g.group_code').orderBy('g.group_code').execute()
  const objects = await db
    .selectFrom('governance_collection_containment as c')
    .where('c.group_code', 'in', anchoredGroups)
    .select(['c.collection_name', 'c.group_code'])
    .orderBy('c.collection_name')
    .execute()
  const runs = await db
    .selectFrom('candidate_scan_run')
    .where('ruleset_version', '=', options.ruleset)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  const runId = `${options.runPrefix}${Number(runs.n) + 1}`
  await db
    .insertInto('candidate_scan_run')
    .values({
      run_id: runId,
      ruleset_version: options.ruleset,
      triggered_by: options.triggeredBy,
      states_seen: states.length,
      objects_seen: objects.length,
      created_by: options.createdBy ?? MARK.cloneSeed,
    })
    .execute()
  const write = async () => {
    const newStates =
      states.length === 0
        ? []
        : await db
            .insertInto('governance_candidate_state')
            .values(states.map((s) => ({ ruleset_version: options.ruleset, group_code: s.group_code, state: 'anchored', first_run_id: runId })))
            .onConflict((oc) => oc.columns(['ruleset_version', 'group_code']).doNothing())
            .returning('group_code')
            .execute()
    const newObjects =
      objects.length === 0
        ? []
        : await db
            .insertInto('governance_candidate_object')
            .values(objects.map((o) => ({ ruleset_version: options.ruleset, collection_name: o.collection_name, group_code: o.group_code, first_run_id: runId })))
            .onConflict((oc) => oc.columns(['ruleset_version', 'collection_name']).doNothing())
            .returning('collection_name')
            .execute()
    return { newStates, newObjects }
  }
  const { newStates, newObjects } = await write().catch((error: unknown) => {
    throw capRefusal(error)
  })
  return { runId, statesSeen: states.length, objectsSeen: objects.length, newStates: newStates.length, newObjects: newObjects.length }
}

/** Removes the scan runs a stage triggered (its candidates first, if that run found them). */
export async function removeScanRuns<S extends DB>(trx: On<S>, ruleset: string, triggeredBy: string): Promise<void> {
  const db = narrow<DB, S>(trx)
  const runs = db.selectFrom('candidate_scan_run').select('run_id').where('ruleset_version', '=', ruleset).where('triggered_by', '=', triggeredBy)
  await db.deleteFrom('governance_candidate_object').where('first_run_id', 'in', runs).execute()
  await db.deleteFrom('governance_candidate_state').where('first_run_id', 'in', runs).execute()
  await db.deleteFrom('candidate_scan_run').where('ruleset_version', '=', ruleset).where('triggered_by', '=', triggeredBy).execute()
}

/**
 * The idempotent re-run each later clone stage makes over the clone ruleset; returns a
 * note for the run's output. A re-run that finds new candidates is an error.
 */
export async function rerunScanner<S extends DB>(trx: On<S>, stage: string): Promise<string> {
  const db = narrow<DB, S>(trx)
  const rerun = await scan(db, { ruleset: MARK.ruleset, runPrefix: MARK.scanRunPrefix, triggeredBy: stage })
  const found = rerun.newStates + rerun.newObjects
  if (found !== 0) {
    throw new GovMigrateError(`the scanner re-run ${rerun.runId} found ${found} new candidates`, 'the scanner must be idempotent; inspect the candidates')
  }
  return `${rerun.runId}: 0 new candidates (idempotent re-run)`
}
