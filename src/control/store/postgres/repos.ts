/**
 * @module control/store/postgres/repos
 * Every repository of the store on PostgreSQL, over `Sql` (`./open.ts`). The tables and columns
 * are SQLite's (migrations run through `postgresDdl`), so rows map with `../rows.ts`; only the
 * statements that differ between the two dialects are written differently here (upserts that
 * ignore, GREATEST, JSON in the snapshot documents).
 */
import {
  ackOf,
  distributionAckOf,
  distributionOf,
  functionOf,
  invalidationAckOf,
  invalidationOf,
  keyGroupOf,
  kvsOf,
  popOf,
  publicKeyOf,
  settingsColumn,
  snapshotOf,
  tokenOf,
  triggerOf,
  versionOf,
  type Row,
} from '../rows.js';
import type { Store } from '../types.js';
import type { Sql } from './open.js';

type Repos = Omit<Store, 'kind' | 'tx' | 'close' | 'outbox' | 'relayOutbox' | 'onOutbox'>;
const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
const one =
  <T>(db: Sql, sql: string, map: (r: Row) => T) =>
  async (...args: unknown[]): Promise<T | undefined> => {
    const r = await db.one(sql, args);
    return r && map(r);
  };
const all =
  <T>(db: Sql, sql: string, map: (r: Row) => T) =>
  async (...args: unknown[]): Promise<T[]> =>
    (await db.rows(sql, args)).map(map);
const shaSet = (rows: Row[]): Set<string> => new Set(rows.map((r) => String(r.sha)));

export function postgresRepos(db: Sql): Repos {
  const run = async (sql: string, ...args: unknown[]): Promise<void> => void (await db.run(sql, args));
  return {
    tokens: {
      insert: (t) =>
        run(
          'INSERT INTO tokens (id, name, kind, pop, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          t.id,
          t.name,
          t.kind,
          t.pop,
          t.hash,
          t.createdAt,
          t.revokedAt,
        ),
      byHash: one(db, 'SELECT * FROM tokens WHERE hash = ?', tokenOf),
      get: one(db, 'SELECT * FROM tokens WHERE id = ?', tokenOf),
      list: all(db, 'SELECT * FROM tokens ORDER BY created_at, id', tokenOf),
      revoke: (id, at) => run('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', at, id),
    },
    functions: {
      get: one(db, 'SELECT * FROM functions WHERE name = ?', functionOf),
      list: all(db, 'SELECT * FROM functions ORDER BY name', functionOf),
      insert: (f) =>
        run(
          'INSERT INTO functions (name, settings, code_sha256, code_size, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          f.name,
          settingsColumn(f),
          f.codeSha256,
          f.codeSize,
          f.revision,
          f.createdAt,
          f.updatedAt,
        ),
      update: (f) =>
        run(
          'UPDATE functions SET settings = ?, code_sha256 = ?, code_size = ?, revision = ?, updated_at = ? WHERE name = ?',
          settingsColumn(f),
          f.codeSha256,
          f.codeSize,
          f.revision,
          f.updatedAt,
          f.name,
        ),
      delete: async (name) => {
        await run('DELETE FROM function_versions WHERE name = ?', name);
        await run('DELETE FROM functions WHERE name = ?', name);
      },
      versions: all(db, 'SELECT * FROM function_versions WHERE name = ? ORDER BY version', versionOf),
      version: one(db, 'SELECT * FROM function_versions WHERE name = ? AND version = ?', versionOf),
      insertVersion: (v) =>
        run(
          'INSERT INTO function_versions (name, version, sha256, size, description, settings, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          v.name,
          v.version,
          v.sha256,
          v.size,
          v.description,
          JSON.stringify(v.settings),
          v.createdAt,
        ),
      bundlesInUse: async (shas) => {
        if (shas.length === 0) return new Set();
        const m = marks(shas.length);
        return shaSet(
          await db.rows(
            `SELECT code_sha256 AS sha FROM functions WHERE code_sha256 IN (${m})
             UNION SELECT sha256 AS sha FROM function_versions WHERE sha256 IN (${m})`,
            [...shas, ...shas],
          ),
        );
      },
      versionSummaries: async () => {
        const rows = await db.rows(
          'SELECT name, COUNT(*) AS count, MAX(version) AS latest FROM function_versions GROUP BY name',
        );
        return new Map(rows.map((r) => [String(r.name), { count: Number(r.count), latest: Number(r.latest) }]));
      },
    },
    blobs: {
      put: (sha256, kind, data) =>
        run(
          // Stored bytes that no longer hash to their name (a bad sector, a bad restore) are repaired.
          `INSERT INTO blobs (sha256, kind, size, data) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE
           SET size = EXCLUDED.size, data = EXCLUDED.data WHERE encode(sha256(blobs.data), 'hex') <> blobs.sha256`,
          sha256,
          kind,
          data.byteLength,
          Buffer.from(data.buffer, data.byteOffset, data.byteLength),
        ),
      get: one(db, 'SELECT kind, data FROM blobs WHERE sha256 = ?', (r) => ({
        kind: r.kind as 'bundle' | 'kvs',
        data: r.data as Buffer,
      })),
      delete: async (sha256, kind) =>
        (await db.run('DELETE FROM blobs WHERE sha256 = ? AND kind = ?', [sha256, kind])) > 0,
    },
    distributions: {
      get: one(db, 'SELECT * FROM distributions WHERE id = ?', distributionOf),
      list: all(db, 'SELECT * FROM distributions ORDER BY id', distributionOf),
      insert: (d) =>
        run(
          'INSERT INTO distributions (id, config, revision, changed_in, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
          d.id,
          JSON.stringify(d.config),
          d.revision,
          d.changedIn,
          d.createdAt,
          d.updatedAt,
        ),
      update: (d) =>
        run(
          'UPDATE distributions SET config = ?, revision = ?, changed_in = ?, updated_at = ? WHERE id = ?',
          JSON.stringify(d.config),
          d.revision,
          d.changedIn,
          d.updatedAt,
          d.id,
        ),
      delete: (id) => run('DELETE FROM distributions WHERE id = ?', id),
      setChangedIn: (id, version) => run('UPDATE distributions SET changed_in = ? WHERE id = ?', version, id),
    },
    triggers: {
      get: one(db, 'SELECT * FROM triggers WHERE id = ?', triggerOf),
      list: async (f = {}) => {
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
        const w = where.length ? 'WHERE ' + where.join(' AND ') : '';
        return (await db.rows(`SELECT * FROM triggers ${w} ORDER BY distribution_id, behavior, event_type`, args)).map(
          triggerOf,
        );
      },
      replace: async (t) => {
        const prev = await db.one(
          'DELETE FROM triggers WHERE distribution_id = ? AND behavior = ? AND event_type = ? RETURNING *',
          [t.distributionId, t.behavior, t.eventType],
        );
        await run(
          `INSERT INTO triggers (id, distribution_id, behavior, event_type, function_name, function_version, include_body, revision, created_at, canary)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
        return prev && triggerOf(prev);
      },
      delete: (id) => run('DELETE FROM triggers WHERE id = ?', id),
    },
    kvs: {
      get: one(db, 'SELECT * FROM kvs WHERE name = ?', kvsOf),
      list: all(db, 'SELECT * FROM kvs ORDER BY name', kvsOf),
      insert: (k) =>
        run(
          'INSERT INTO kvs (name, data, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
          k.name,
          JSON.stringify(k.data),
          k.revision,
          k.createdAt,
          k.updatedAt,
        ),
      update: (k) =>
        run(
          'UPDATE kvs SET data = ?, revision = ?, updated_at = ? WHERE name = ?',
          JSON.stringify(k.data),
          k.revision,
          k.updatedAt,
          k.name,
        ),
      delete: (name) => run('DELETE FROM kvs WHERE name = ?', name),
    },
    publicKeys: {
      get: one(db, 'SELECT * FROM public_keys WHERE id = ?', publicKeyOf),
      byName: one(db, 'SELECT * FROM public_keys WHERE name = ?', publicKeyOf),
      list: all(db, 'SELECT * FROM public_keys ORDER BY created_at, id', publicKeyOf),
      insert: (k) =>
        run(
          'INSERT INTO public_keys (id, name, encoded_key, comment, created_at) VALUES (?, ?, ?, ?, ?)',
          k.id,
          k.name,
          k.encodedKey,
          k.comment,
          k.createdAt,
        ),
      delete: (id) => run('DELETE FROM public_keys WHERE id = ?', id),
    },
    keyGroups: {
      get: one(db, 'SELECT * FROM key_groups WHERE id = ?', keyGroupOf),
      byName: one(db, 'SELECT * FROM key_groups WHERE name = ?', keyGroupOf),
      list: all(db, 'SELECT * FROM key_groups ORDER BY created_at, id', keyGroupOf),
      insert: (g) =>
        run(
          'INSERT INTO key_groups (id, name, comment, public_key_ids, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          g.id,
          g.name,
          g.comment,
          JSON.stringify(g.publicKeyIds),
          g.revision,
          g.createdAt,
          g.updatedAt,
        ),
      update: (g) =>
        run(
          'UPDATE key_groups SET name = ?, comment = ?, public_key_ids = ?, revision = ?, updated_at = ? WHERE id = ?',
          g.name,
          g.comment,
          JSON.stringify(g.publicKeyIds),
          g.revision,
          g.updatedAt,
          g.id,
        ),
      delete: (id) => run('DELETE FROM key_groups WHERE id = ?', id),
    },
    ...edgeRepos(db, run),
  };
}

function edgeRepos(
  db: Sql,
  run: (sql: string, ...args: unknown[]) => Promise<void>,
): Pick<Repos, 'pops' | 'snapshots' | 'invalidations'> {
  const invalidation = one(db, 'SELECT * FROM invalidations WHERE id = ?', invalidationOf);
  return {
    pops: {
      get: one(db, 'SELECT * FROM pops WHERE id = ?', popOf),
      list: all(db, 'SELECT * FROM pops ORDER BY id', popOf),
      upsert: (p) =>
        run(
          `INSERT INTO pops (id, region, location, edge_version, applied_version, last_seen, registered_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET region = excluded.region, location = excluded.location,
             edge_version = excluded.edge_version, applied_version = excluded.applied_version, last_seen = excluded.last_seen`,
          p.id,
          p.region,
          p.location,
          p.edgeVersion,
          p.appliedVersion,
          p.lastSeen,
          p.registeredAt,
        ),
      touch: (id, at) => run('UPDATE pops SET last_seen = GREATEST(last_seen, ?) WHERE id = ?', at, id),
      setApplied: (id, version) => run('UPDATE pops SET applied_version = ? WHERE id = ?', version, id),
      delete: (id) => run('DELETE FROM pops WHERE id = ?', id),
    },
    snapshots: {
      latestVersion: async () => Number((await db.one('SELECT MAX(version) AS v FROM snapshots'))?.v ?? 0),
      get: one(db, 'SELECT * FROM snapshots WHERE version = ?', snapshotOf),
      list: all(db, 'SELECT * FROM snapshots ORDER BY version DESC LIMIT ?', snapshotOf),
      insert: (s) =>
        run(
          'INSERT INTO snapshots (version, created_at, checksum, reason, document) VALUES (?, ?, ?, ?, ?)',
          s.version,
          s.createdAt,
          s.checksum,
          s.reason,
          s.document,
        ),
      putAck: (a) =>
        run(
          `INSERT INTO snapshot_acks (version, pop, ok, error, at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (version, pop) DO UPDATE SET ok = excluded.ok, error = excluded.error, at = excluded.at`,
          a.version,
          a.pop,
          a.ok ? 1 : 0,
          a.error,
          a.at,
        ),
      acks: all(db, 'SELECT * FROM snapshot_acks WHERE version = ? ORDER BY pop', ackOf),
      putDistributionAck: (a) =>
        run(
          `INSERT INTO distribution_acks AS d (pop, distribution_id, generation, wanted, ok, error, at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (pop, distribution_id) DO UPDATE SET
             at = CASE WHEN d.generation != excluded.generation OR d.wanted != excluded.wanted OR d.ok != excluded.ok
                  THEN excluded.at ELSE d.at END,
             generation = excluded.generation, wanted = excluded.wanted, ok = excluded.ok, error = excluded.error`,
          a.pop,
          a.distributionId,
          a.generation,
          a.wanted,
          a.ok ? 1 : 0,
          a.error,
          a.at,
        ),
      distributionAcks: async (id) =>
        (id === undefined
          ? await db.rows('SELECT * FROM distribution_acks ORDER BY distribution_id, pop')
          : await db.rows('SELECT * FROM distribution_acks WHERE distribution_id = ? ORDER BY pop', [id])
        ).map(distributionAckOf),
      // `bundles` is keyed by sha256 (protocol.ts); documents are JSON text, as on SQLite.
      bundlesInUse: async (shas) => {
        if (shas.length === 0) return new Set();
        return shaSet(
          await db.rows(
            `SELECT DISTINCT k AS sha FROM snapshots s, jsonb_object_keys(s.document::jsonb -> 'bundles') k
             WHERE k IN (${marks(shas.length)})`,
            shas,
          ),
        );
      },
    },
    invalidations: {
      insert: async (i) => {
        const r = await db.one(
          'INSERT INTO invalidations (id, distribution_id, paths, tags, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
          [i.id, i.distributionId, JSON.stringify(i.paths), JSON.stringify(i.tags), i.createdAt],
        );
        return invalidationOf(r!);
      },
      get: invalidation,
      list: async (distributionId) =>
        (distributionId === undefined
          ? await db.rows('SELECT * FROM invalidations ORDER BY seq DESC')
          : await db.rows('SELECT * FROM invalidations WHERE distribution_id = ? ORDER BY seq DESC', [distributionId])
        ).map(invalidationOf),
      unackedSince: async (pop, afterSeq) =>
        (
          await db.rows(
            `SELECT * FROM invalidations i WHERE i.seq > ?
             AND NOT EXISTS (SELECT 1 FROM invalidation_acks a WHERE a.id = i.id AND a.pop = ?) ORDER BY i.seq`,
            [afterSeq, pop],
          )
        ).map(invalidationOf),
      lastSeq: async () => Number((await db.one('SELECT MAX(seq) AS s FROM invalidations'))?.s ?? 0),
      putAck: (a) =>
        run(
          `INSERT INTO invalidation_acks (id, pop, removed, at) VALUES (?, ?, ?, ?)
           ON CONFLICT (id, pop) DO UPDATE SET removed = excluded.removed, at = excluded.at`,
          a.id,
          a.pop,
          a.removed,
          a.at,
        ),
      acks: all(db, 'SELECT * FROM invalidation_acks WHERE id = ? ORDER BY pop', invalidationAckOf),
    },
  };
}
