/**
 * @module control/store/sqlite/open
 * `openSqliteSyncStore`: one database file (WAL mode, foreign keys on, a busy timeout so a second
 * reader never fails at once), migrated to the newest schema, behind the SyncStore interface.
 */
import Database from 'better-sqlite3';
import type { SyncStore } from '../types.js';
import { blobRepo, distributionRepo, functionRepo, kvsRepo, tokenRepo, triggerRepo } from './config-repos.js';
import { invalidationRepo, popRepo, snapshotRepo } from './edge-repos.js';
import { keyGroupRepo, publicKeyRepo } from './key-repos.js';
import { migrate } from './migrate.js';
import { outboxRepo } from './outbox-repo.js';

export function openSqliteSyncStore(file: string, now: number): SyncStore {
  return sqliteStoreOn(openSqliteDatabase(file, now));
}

/** The database file opened, configured and migrated (closed again when migrating fails). */
export function openSqliteDatabase(file: string, now: number): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, now);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** The synchronous store over an open, migrated database. */
export function sqliteStoreOn(db: Database.Database): SyncStore {
  return {
    tokens: tokenRepo(db),
    functions: functionRepo(db),
    blobs: blobRepo(db),
    distributions: distributionRepo(db),
    triggers: triggerRepo(db),
    kvs: kvsRepo(db),
    publicKeys: publicKeyRepo(db),
    keyGroups: keyGroupRepo(db),
    pops: popRepo(db),
    snapshots: snapshotRepo(db),
    invalidations: invalidationRepo(db),
    outbox: outboxRepo(db),
    tx: <T>(fn: () => T): T => db.transaction(fn)(),
    close: () => db.close(),
  };
}
