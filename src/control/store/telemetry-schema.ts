/**
 * @module control/store/telemetry-schema
 * The telemetry tables (log records, metric points, batch ids) as a telemetry sink creates them
 * where it writes: the same tables and columns as migration 002, created only when missing, so a
 * sink can live in its own SQLite file, share the store's PostgreSQL database (where migration
 * 002 made them) or use a database of its own.
 */
import { migration } from './migrations/002-telemetry.js';
import { postgresDdl } from './migrations/index.js';

function ifMissing(sql: string): string {
  return sql
    .replace(/CREATE TABLE /g, 'CREATE TABLE IF NOT EXISTS ')
    .replace(/CREATE INDEX /g, 'CREATE INDEX IF NOT EXISTS ');
}

export const TELEMETRY_SQLITE_DDL = ifMissing(migration.sql);
export const TELEMETRY_POSTGRES_DDL = ifMissing(postgresDdl(migration));
