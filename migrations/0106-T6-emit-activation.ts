/**
 * Tier T6 — emit activation (production-tier; ospa ≥ 1 AND its own explicit decision).
 *
 * The governance event types become active (gov_active 0 → n). This tool never emits
 * or dispatches an event; activation only lets the governed dispatcher do so later.
 * It runs only with `--activate-emit`, the decision recorded on the command line.
 *
 * Stop-gates: the emit boundary is in (T3); every governance event type inactive.
 * Expected: gov_active +4 (the stand-in's governance event types).
 * Down makes them inactive again.
 */
import { defineMigration } from '../src/migrator/migration.ts'
import type { DB } from '../src/db/schema/0106-T6.ts'
import { metricEquals, triggerPresent } from '../src/pipeline/gates.ts'

export default defineMigration<DB>({
  id: 'T6',
  title: 'emit activation: governance event types active (needs --activate-emit)',
  tier: 'production',
  ratificationProposal: 'APR-BOOT-AUTHMODEL-1',
  requiresDecision: true,
  gates: [triggerPresent('gov_event_emit_guard', 'governance_event_log', true), metricEquals('gov_active', () => 0, 'governance event types inactive')],
  expect: (s) => ({ gov_active: s.eventTypes }),

  async up({ db }) {
    await db.updateTable('event_type_registry').set({ active: true }).where('is_governance', '=', true).execute()
  },

  async down({ db }) {
    await db.updateTable('event_type_registry').set({ active: false }).where('is_governance', '=', true).execute()
  },
})
