/**
 * @module control/store/migrations/004-distribution-acks
 * Per-distribution acknowledgements: what generation of each distribution a PoP serves, the one
 * it was asked for, and why it refused it. One row per PoP and distribution (the latest); `at`
 * moves only when the row changes, so it says when the PoP reached that state.
 */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 4,
  name: 'distribution-acks',
  sql: `
CREATE TABLE distribution_acks (
  pop TEXT NOT NULL,
  distribution_id TEXT NOT NULL,
  generation INTEGER NOT NULL,
  wanted INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  error TEXT,
  at INTEGER NOT NULL,
  PRIMARY KEY (pop, distribution_id)
);
`,
};
