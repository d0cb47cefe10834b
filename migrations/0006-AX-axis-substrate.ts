/**
 * Stage AX — axis/topic substrate (clone).
 *
 * Parallel axis_* tables (never an ALTER of governance_object_ownership) with three axes:
 * - responsibility (structural): its ownership mirrored from the 30 group anchors, coverage
 *   rule "every (collection, scope) pair owned": 210 pairs covered, gap 0;
 * - topic (descriptive): 7 active values, one per registry plus governance; the 6 topic
 *   tags the application set become assignments; candidate kg-domain-x (kg_provisional), held;
 * - containment (structural): registered with one value per group, 0 assignments, no rule.
 * Then v_axis_coverage and v_drift_finding over real rows, and an idempotent scanner re-run.
 *
 * Expected (scale 1): axis_tables +6, topic_active +7, topic_candidate +1, topic_assign +6,
 * axis_own +30, drift_open +41 (divergent +4, projection_gap +1, rule_missing +1,
 * lag_placeholder +6, quality +29), scan_run +1.
 * Numbers it introduces (over the relations it creates; 0 before it): the topic and
 * containment axis counts, axis_own, the containment coverage, and the drift findings by
 * category and severity.
 * Down drops the views and tables and removes the re-run.
 */
import { addDeltas, defineMigration, stageMetric, type StageUnit } from '../src/migrator/migration.ts'
import { check } from '../src/verify/checks.ts'
import type { DB } from '../src/db/schema/0006-AX.ts'
import { MARK } from '../src/markers.ts'
import { rerunScanner, removeScanRuns } from '../src/pipeline/scanner.ts'
import { createAxisSubstrate, dropAxisSubstrate, substrateDeltas } from '../src/pipeline/axis-substrate.ts'

/** The axis/topic and drift numbers, read from the relations the substrate creates. */
const drift = (key: string, where: string) => stageMetric<DB>(key, 'v_drift_finding', `select count(*) from v_drift_finding where ${where}`)
export const AXIS_METRICS = [
  stageMetric<DB>('topic_active', 'axis_value', `select count(*) from axis_value where axis_code = 'topic' and status = 'active'`),
  stageMetric<DB>('topic_candidate', 'axis_value', `select count(*) from axis_value where axis_code = 'topic' and status = 'candidate'`),
  stageMetric<DB>('topic_assign', 'axis_assignment', `select count(*) from axis_assignment where axis_code = 'topic'`),
  stageMetric<DB>('containment_assign', 'axis_assignment', `select count(*) from axis_assignment where axis_code = 'containment'`),
  stageMetric<DB>('axis_own', 'axis_object_ownership', 'select count(*) from axis_object_ownership'),
  stageMetric<DB>('containment_required', 'v_axis_coverage', `select required from v_axis_coverage where axis_code = 'containment'`),
  stageMetric<DB>('containment_gap', 'v_axis_coverage', `select gap from v_axis_coverage where axis_code = 'containment'`),
  stageMetric<DB>('drift_open', 'v_drift_finding', 'select count(*) from v_drift_finding'),
  drift('drift_critical', `severity = 'critical'`),
  drift('divergent', `category = 'divergent_label_topic'`),
  drift('projection_gap', `category = 'projection_gap'`),
  drift('rule_missing', `category = 'coverage_rule_missing'`),
  drift('lag_placeholder', `category = 'projection_lag' and detail like 'placeholder%'`),
  drift('lag_real', `category = 'projection_lag' and detail not like 'placeholder%'`),
  drift('quality', `category = 'quality_signal'`),
] as const

/** The substrate, its rows marked `createdBy`: what T4 repeats on production. */
export function axisSubstrate<S extends DB>(createdBy: string): StageUnit<S> {
  return {
    metrics: AXIS_METRICS,
    expect: substrateDeltas,
    // Reading only, so T4 runs it on production too.
    async verify({ actual }) {
      return [check('critical drift', 0, actual.drift_critical ?? 0)]
    },
    async up({ db }) {
      await createAxisSubstrate(db, createdBy)
    },
    async down({ db }) {
      await dropAxisSubstrate(db)
    },
  }
}

const unit = axisSubstrate<DB>(MARK.cloneSeed)

export default defineMigration<DB>({
  id: 'AX',
  title: 'axis/topic substrate: parallel axis tables, three axes, drift view',
  tier: 'clone',
  metrics: unit.metrics,
  expect: (s) => addDeltas(unit.expect(s), { scan_run: 1 }),

  verify: (context) => unit.verify?.(context) ?? Promise.resolve([]),

  async up(context) {
    await unit.up(context)
    context.note(await rerunScanner(context.db, 'AX'))
  },

  async down(context) {
    await removeScanRuns(context.db, MARK.ruleset, 'AX')
    await unit.down(context)
  },
})
