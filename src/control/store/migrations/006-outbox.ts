/**
 * @module control/store/migrations/006-outbox
 * The transactional outbox (DESIGN 4, "Beyond one machine"): one row per change edges must hear
 * about (a new snapshot, an invalidation), written in the same transaction as the change. Other
 * control replicas read it to tell their own watchers; the NATS relay publishes each row once and
 * stamps `relayed_at`. `seq` follows commit order because every write transaction holds the
 * store's one write lock while it takes its number.
 */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 6,
  name: 'outbox',
  sql: `
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  relayed_at INTEGER
);
CREATE INDEX outbox_unrelayed ON outbox (seq) WHERE relayed_at IS NULL;
`,
};
