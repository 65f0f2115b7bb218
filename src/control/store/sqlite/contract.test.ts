// The store contract (../contract.ts) on SQLite: one file, one instance (SQLite is the store of
// one control process; several replicas share PostgreSQL instead).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../contract.js';
import { openSqliteStore } from './async.js';

storeContract('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-store-contract-'));
  const file = join(dir, 'verge.db');
  const raw = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(file);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    replicas: 1,
    open: async (now) => openSqliteStore(file, now),
    appliedMigrations: async () =>
      raw((db) =>
        (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map(
          (r) => r.version,
        ),
      ),
    recordFutureMigration: async (v) =>
      raw((db) => {
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)').run(v, 'future');
      }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
