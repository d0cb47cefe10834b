/**
 * The marks every row a stage writes carries (DOMAIN.md, "Safety rules"),
 * so that each down removes exactly what its up added.
 */
export const MARK = {
  /** created_by of clone-stage rows. */
  cloneSeed: 'CLONE_TEST_F6_SEED',
  /** created_by of the production seed (tier T1): distinct from the clone's. */
  productionSeed: 'PROD_F6_SEED_RATIFIED',
  ruleset: 'RS-CLONE-TEST-1',
  productionRuleset: 'RS-PROD-1',
  /** Scan runs are SCAN-CLONE-TEST-n. */
  scanRunPrefix: 'SCAN-CLONE-TEST-',
  productionScanRunPrefix: 'SCAN-PROD-',
  worker: 'clone-test-worker',
  productionWorker: 'prod-worker',
} as const
