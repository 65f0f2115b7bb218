/**
 * @module control/store/migrations/002-telemetry
 * Log records, metric points and the batch ids that make their delivery idempotent (protocol.ts:
 * batches are delivered at least once). Indexed for the queries of `GET /logs` and `GET /metrics`.
 */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 2,
  name: 'telemetry',
  sql: `
CREATE TABLE telemetry_batches (
  batch_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  pop TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
CREATE INDEX telemetry_batches_received ON telemetry_batches (received_at);

CREATE TABLE log_records (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  type TEXT NOT NULL,
  pop TEXT NOT NULL,
  request_id TEXT NOT NULL,
  distribution_id TEXT,
  function_name TEXT,
  function_version TEXT,
  event_type TEXT,
  level TEXT,
  status INTEGER,
  message TEXT NOT NULL,
  fields TEXT
);
CREATE INDEX log_records_time ON log_records (time);
CREATE INDEX log_records_function ON log_records (function_name, time);
CREATE INDEX log_records_distribution ON log_records (distribution_id, time);
CREATE INDEX log_records_request ON log_records (request_id);

CREATE TABLE metric_points (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  interval_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  pop TEXT NOT NULL,
  labels TEXT NOT NULL,
  counters TEXT NOT NULL,
  histogram TEXT
);
CREATE INDEX metric_points_kind_time ON metric_points (kind, time);
`,
};
