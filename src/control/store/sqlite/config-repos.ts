/**
 * @module control/store/sqlite/config-repos
 * SQLite repositories for what users configure: tokens, functions and versions, blobs,
 * distributions, triggers and key-value stores. JSON columns hold nested values; rows map to
 * the records of `../types.ts` one to one.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { distributionOf, functionOf, kvsOf, settingsColumn, tokenOf, triggerOf, versionOf, type Row } from '../rows.js';
import type { BlobRepo, DistributionRepo, FunctionRepo, KvsRepo, TokenRepo, TriggerRepo } from '../types.js';

export function tokenRepo(db: Database.Database): TokenRepo {
  const map = tokenOf;
  const byHash = db.prepare('SELECT * FROM tokens WHERE hash = ?');
  const get = db.prepare('SELECT * FROM tokens WHERE id = ?');
  return {
    insert: (t) =>
      void db
        .prepare('INSERT INTO tokens (id, name, kind, pop, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(t.id, t.name, t.kind, t.pop, t.hash, t.createdAt, t.revokedAt),
    byHash: (h) => {
      const r = byHash.get(h) as Row | undefined;
      return r && map(r);
    },
    get: (id) => {
      const r = get.get(id) as Row | undefined;
      return r && map(r);
    },
    list: () => (db.prepare('SELECT * FROM tokens ORDER BY created_at, id').all() as Row[]).map(map),
    revoke: (id, at) =>
      void db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id),
  };
}

export function functionRepo(db: Database.Database): FunctionRepo {
  const map = functionOf;
  const mapVersion = versionOf;
  const settingsOf = settingsColumn;
  return {
    get: (name) => {
      const r = db.prepare('SELECT * FROM functions WHERE name = ?').get(name) as Row | undefined;
      return r && map(r);
    },
    list: () => (db.prepare('SELECT * FROM functions ORDER BY name').all() as Row[]).map(map),
    insert: (f) =>
      void db
        .prepare(
          'INSERT INTO functions (name, settings, code_sha256, code_size, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(f.name, settingsOf(f), f.codeSha256, f.codeSize, f.revision, f.createdAt, f.updatedAt),
    update: (f) =>
      void db
        .prepare(
          'UPDATE functions SET settings = ?, code_sha256 = ?, code_size = ?, revision = ?, updated_at = ? WHERE name = ?',
        )
        .run(settingsOf(f), f.codeSha256, f.codeSize, f.revision, f.updatedAt, f.name),
    delete: (name) => {
      db.prepare('DELETE FROM function_versions WHERE name = ?').run(name);
      db.prepare('DELETE FROM functions WHERE name = ?').run(name);
    },
    versions: (name) =>
      (db.prepare('SELECT * FROM function_versions WHERE name = ? ORDER BY version').all(name) as Row[]).map(
        mapVersion,
      ),
    version: (name, version) => {
      const r = db.prepare('SELECT * FROM function_versions WHERE name = ? AND version = ?').get(name, version) as
        Row | undefined;
      return r && mapVersion(r);
    },
    insertVersion: (v) =>
      void db
        .prepare(
          'INSERT INTO function_versions (name, version, sha256, size, description, settings, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(v.name, v.version, v.sha256, v.size, v.description, JSON.stringify(v.settings), v.createdAt),
    bundlesInUse: (shas) => {
      if (shas.length === 0) return new Set();
      const marks = shas.map(() => '?').join(', ');
      const rows = db
        .prepare(
          `SELECT code_sha256 AS sha FROM functions WHERE code_sha256 IN (${marks})
           UNION SELECT sha256 AS sha FROM function_versions WHERE sha256 IN (${marks})`,
        )
        .all(...shas, ...shas) as Array<{ sha: string }>;
      return new Set(rows.map((r) => r.sha));
    },
    versionSummaries: () => {
      const rows = db
        .prepare('SELECT name, COUNT(*) AS count, MAX(version) AS latest FROM function_versions GROUP BY name')
        .all() as Array<{ name: string; count: number; latest: number }>;
      return new Map(rows.map((r) => [r.name, { count: Number(r.count), latest: Number(r.latest) }]));
    },
  };
}

export function blobRepo(db: Database.Database): BlobRepo {
  return {
    put: (sha256, kind, data) => {
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const row = db.prepare('SELECT data FROM blobs WHERE sha256 = ?').get(sha256) as { data: Buffer } | undefined;
      const insert = 'INSERT INTO blobs (sha256, kind, size, data) VALUES (?, ?, ?, ?)';
      if (!row) db.prepare(insert).run(sha256, kind, bytes.byteLength, bytes);
      // Stored bytes that no longer hash to their name (a bad sector, a bad restore) are repaired.
      else if (createHash('sha256').update(row.data).digest('hex') !== sha256)
        db.prepare('UPDATE blobs SET size = ?, data = ? WHERE sha256 = ?').run(bytes.byteLength, bytes, sha256);
    },
    get: (sha256) => {
      const r = db.prepare('SELECT kind, data FROM blobs WHERE sha256 = ?').get(sha256) as
        { kind: 'bundle' | 'kvs'; data: Buffer } | undefined;
      return r && { kind: r.kind, data: r.data };
    },
    delete: (sha256, kind) =>
      db.prepare('DELETE FROM blobs WHERE sha256 = ? AND kind = ?').run(sha256, kind).changes > 0,
  };
}

export function distributionRepo(db: Database.Database): DistributionRepo {
  const map = distributionOf;
  return {
    get: (id) => {
      const r = db.prepare('SELECT * FROM distributions WHERE id = ?').get(id) as Row | undefined;
      return r && map(r);
    },
    list: () => (db.prepare('SELECT * FROM distributions ORDER BY id').all() as Row[]).map(map),
    insert: (d) =>
      void db
        .prepare(
          'INSERT INTO distributions (id, config, revision, changed_in, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(d.id, JSON.stringify(d.config), d.revision, d.changedIn, d.createdAt, d.updatedAt),
    update: (d) =>
      void db
        .prepare('UPDATE distributions SET config = ?, revision = ?, changed_in = ?, updated_at = ? WHERE id = ?')
        .run(JSON.stringify(d.config), d.revision, d.changedIn, d.updatedAt, d.id),
    delete: (id) => void db.prepare('DELETE FROM distributions WHERE id = ?').run(id),
    setChangedIn: (id, version) =>
      void db.prepare('UPDATE distributions SET changed_in = ? WHERE id = ?').run(version, id),
  };
}

export function triggerRepo(db: Database.Database): TriggerRepo {
  const map = triggerOf;
  return {
    get: (id) => {
      const r = db.prepare('SELECT * FROM triggers WHERE id = ?').get(id) as Row | undefined;
      return r && map(r);
    },
    list: (f = {}) => {
      const where: string[] = [];
      const args: string[] = [];
      if (f.distributionId !== undefined) {
        where.push('distribution_id = ?');
        args.push(f.distributionId);
      }
      if (f.functionName !== undefined) {
        where.push('function_name = ?');
        args.push(f.functionName);
      }
      const sql = `SELECT * FROM triggers ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY distribution_id, behavior, event_type`;
      return (db.prepare(sql).all(...args) as Row[]).map(map);
    },
    replace: (t) => {
      const prev = db
        .prepare('SELECT * FROM triggers WHERE distribution_id = ? AND behavior = ? AND event_type = ?')
        .get(t.distributionId, t.behavior, t.eventType) as Row | undefined;
      if (prev) db.prepare('DELETE FROM triggers WHERE id = ?').run(prev.id);
      db.prepare(
        `INSERT INTO triggers (id, distribution_id, behavior, event_type, function_name, function_version, include_body, revision, created_at, canary)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        t.id,
        t.distributionId,
        t.behavior,
        t.eventType,
        t.functionName,
        t.functionVersion,
        t.includeBody ? 1 : 0,
        t.revision,
        t.createdAt,
        t.canary ? JSON.stringify(t.canary) : null,
      );
      return prev && map(prev);
    },
    delete: (id) => void db.prepare('DELETE FROM triggers WHERE id = ?').run(id),
  };
}

export function kvsRepo(db: Database.Database): KvsRepo {
  const map = kvsOf;
  return {
    get: (name) => {
      const r = db.prepare('SELECT * FROM kvs WHERE name = ?').get(name) as Row | undefined;
      return r && map(r);
    },
    list: () => (db.prepare('SELECT * FROM kvs ORDER BY name').all() as Row[]).map(map),
    insert: (k) =>
      void db
        .prepare('INSERT INTO kvs (name, data, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
        .run(k.name, JSON.stringify(k.data), k.revision, k.createdAt, k.updatedAt),
    update: (k) =>
      void db
        .prepare('UPDATE kvs SET data = ?, revision = ?, updated_at = ? WHERE name = ?')
        .run(JSON.stringify(k.data), k.revision, k.updatedAt, k.name),
    delete: (name) => void db.prepare('DELETE FROM kvs WHERE name = ?').run(name),
  };
}
