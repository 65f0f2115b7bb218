/**
 * @module control/store/migrations/001-initial
 * The first schema: tokens, functions and versions, content-addressed blobs (bundles and KVS
 * data), distributions, triggers, key-value stores, PoPs, snapshots and their acks,
 * invalidations and their acks. Never edit a migration once released: add the next one.
 */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('admin', 'edge')),
  pop TEXT,
  hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  size INTEGER NOT NULL,
  data BLOB NOT NULL
);

CREATE TABLE functions (
  name TEXT PRIMARY KEY,
  settings TEXT NOT NULL,
  code_sha256 TEXT NOT NULL REFERENCES blobs (sha256),
  code_size INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE function_versions (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  sha256 TEXT NOT NULL REFERENCES blobs (sha256),
  size INTEGER NOT NULL,
  description TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (name, version)
);

CREATE TABLE distributions (
  id TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  revision INTEGER NOT NULL,
  changed_in INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE triggers (
  id TEXT PRIMARY KEY,
  distribution_id TEXT NOT NULL,
  behavior TEXT NOT NULL,
  event_type TEXT NOT NULL,
  function_name TEXT NOT NULL,
  function_version INTEGER NOT NULL,
  include_body INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (distribution_id, behavior, event_type)
);
CREATE INDEX triggers_function ON triggers (function_name);

CREATE TABLE kvs (
  name TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  revision INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE pops (
  id TEXT PRIMARY KEY,
  region TEXT NOT NULL,
  location TEXT,
  edge_version TEXT NOT NULL,
  applied_version INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  registered_at INTEGER NOT NULL
);

CREATE TABLE snapshots (
  version INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  reason TEXT NOT NULL,
  document TEXT NOT NULL
);

CREATE TABLE snapshot_acks (
  version INTEGER NOT NULL,
  pop TEXT NOT NULL,
  ok INTEGER NOT NULL,
  error TEXT,
  at INTEGER NOT NULL,
  PRIMARY KEY (version, pop)
);

CREATE TABLE invalidations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  distribution_id TEXT NOT NULL,
  paths TEXT NOT NULL,
  tags TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX invalidations_distribution ON invalidations (distribution_id);

CREATE TABLE invalidation_acks (
  id TEXT NOT NULL,
  pop TEXT NOT NULL,
  removed INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (id, pop)
);
`,
};
