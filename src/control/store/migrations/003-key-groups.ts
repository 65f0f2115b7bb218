/**
 * @module control/store/migrations/003-key-groups
 * Public keys and key groups for signed URLs and cookies (CloudFront's PublicKey and KeyGroup).
 * A key group lists its public key ids in order; behaviors name key groups in their config.
 */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 3,
  name: 'key-groups',
  sql: `
CREATE TABLE public_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  encoded_key TEXT NOT NULL,
  comment TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE key_groups (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  comment TEXT NOT NULL,
  public_key_ids TEXT NOT NULL,
  revision INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
`,
};
