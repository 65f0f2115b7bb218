// Migrations: applied once each in order and recorded; a database newer than the code is refused;
// a failing migration leaves the schema as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../migrations/index.js';
import { migrate } from './migrate.js';
import { openSqliteSyncStore } from './open.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('migrations run once, in order, and are recorded', () => {
  const db = new Database(':memory:');
  assert.deepEqual(
    migrate(db, 1),
    MIGRATIONS.map((m) => m.version),
  );
  assert.deepEqual(migrate(db, 2), []);
  const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
  assert.deepEqual(
    rows,
    MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
  );
  db.close();
});

test('a later migration is applied to a database at an earlier version', () => {
  const db = new Database(':memory:');
  migrate(db, 1, MIGRATIONS.slice(0, 1));
  assert.deepEqual(
    migrate(db, 2),
    MIGRATIONS.slice(1).map((m) => m.version),
  );
  assert.ok(db.prepare("SELECT name FROM sqlite_master WHERE name = 'log_records'").get());
  db.close();
});

test('a database newer than the code is refused', () => {
  const db = new Database(':memory:');
  migrate(db, 1);
  db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, 0)').run('future');
  assert.throws(() => migrate(db, 2), /schema version 99/);
  db.close();
});

test('a failing migration rolls back with its record', () => {
  const db = new Database(':memory:');
  const bad = [
    ...MIGRATIONS,
    { version: 50, name: 'bad', sql: 'CREATE TABLE half (x INTEGER); SELECT * FROM missing_table;' },
  ];
  assert.throws(() => migrate(db, 1, bad));
  assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get(), undefined);
  assert.equal(db.prepare('SELECT version FROM schema_migrations WHERE version = 50').get(), undefined);
  db.close();
});

test('the store opens in WAL mode and replaces triggers per behavior and event', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-store-'));
  try {
    const store = openSqliteSyncStore(join(dir, 'v.db'), 1);
    const t = {
      distributionId: 'd',
      behavior: 'default',
      eventType: 'viewer-request' as const,
      functionName: 'f',
      functionVersion: 1,
      includeBody: false,
      revision: 1,
      createdAt: 1,
      canary: null,
    };
    assert.equal(store.triggers.replace({ ...t, id: 'a' }), undefined);
    assert.equal(store.triggers.replace({ ...t, id: 'b', functionVersion: 2 })?.id, 'a');
    assert.deepEqual(
      store.triggers.list().map((x) => [x.id, x.functionVersion]),
      [['b', 2]],
    );
    assert.throws(() =>
      store.tx(() => {
        store.triggers.delete('b');
        throw new Error('abort');
      }),
    );
    assert.equal(store.triggers.list().length, 1, 'tx rolled back');
    store.close();
    const db = new Database(join(dir, 'v.db'));
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
