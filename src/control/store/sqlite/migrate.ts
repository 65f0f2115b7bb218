/**
 * @module control/store/sqlite/migrate
 * Applies the pending migrations of `../migrations` in order, each in a transaction together with
 * its `schema_migrations` row, so a crash mid-migration leaves the previous schema intact.
 */
import type Database from 'better-sqlite3';
import { VergeError } from '../../../shared/errors.js';
import { MIGRATIONS, type Migration } from '../migrations/index.js';

export function migrate(db: Database.Database, now: number, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const done = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version),
  );
  const newest = Math.max(0, ...migrations.map((m) => m.version));
  const ahead = [...done].filter((v) => v > newest);
  if (ahead.length > 0) {
    throw new VergeError(
      'INTERNAL',
      `the database has schema version ${Math.max(...ahead)} but this verge knows only up to ${newest}: upgrade verge`,
    );
  }
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, now);
    })();
    applied.push(m.version);
  }
  return applied;
}
