// No imports: the configuration's defaults load without the database layer.

/**
 * The governance objects (in schema `public`) whose definitions make up `schema_md5`: an
 * explicit list, never a name pattern (an app table named `v_…` is not one of them).
 * Configurable as `fingerprint.governanceObjects` in kysely.config.ts.
 */
export const GOVERNANCE_OBJECTS: readonly string[] = [
  // the production baseline (DOMAIN.md)
  'governance_scope', 'governance_group', 'governance_registry', 'governance_collection_inventory',
  'governance_collection_containment', 'governance_object_ownership', 'v_object_owner_gap', 'os_proposal_approvals',
  'event_type_registry', 'governance_event_log', 'governance_ruleset', 'candidate_scan_run',
  'governance_candidate_state', 'governance_candidate_object', 'gov_worker_cursor',
  // what the pipeline adds: candidate cap, boundary, cursor, axis/topic substrate, drift and finalization
  'governance_candidate_cap', 'gov_event_emit_guard', 'gov_worker_cursor_monotonic', 'axis_registry', 'axis_value', 'axis_assignment',
  'axis_assignment_owned', 'axis_object_ownership', 'axis_projection', 'axis_coverage_rule', 'axis_facet_decision',
  'v_axis_coverage', 'v_drift_finding', 'v_projection_lag_timing', 'v_registry_governance',
]

/** A session idle in transaction (or holding locks in a transaction) longer than this is a health warning. */
export const DEFAULT_HEALTH_THRESHOLD_MS = 5_000
