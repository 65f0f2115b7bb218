/**
 * @module control/store/sqlite/edge-repos
 * SQLite repositories for replication state: PoPs, snapshots with their acknowledgements, and
 * invalidations with theirs.
 */
import type Database from 'better-sqlite3';
import { ackOf, distributionAckOf, invalidationAckOf, invalidationOf, popOf, snapshotOf, type Row } from '../rows.js';
import type { InvalidationRecord, InvalidationRepo, PopRepo, SnapshotRepo } from '../types.js';

export function popRepo(db: Database.Database): PopRepo {
  const map = popOf;
  return {
    get: (id) => {
      const r = db.prepare('SELECT * FROM pops WHERE id = ?').get(id) as Row | undefined;
      return r && map(r);
    },
    list: () => (db.prepare('SELECT * FROM pops ORDER BY id').all() as Row[]).map(map),
    upsert: (p) =>
      void db
        .prepare(
          `INSERT INTO pops (id, region, location, edge_version, applied_version, last_seen, registered_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET region = excluded.region, location = excluded.location,
             edge_version = excluded.edge_version, applied_version = excluded.applied_version, last_seen = excluded.last_seen`,
        )
        .run(p.id, p.region, p.location, p.edgeVersion, p.appliedVersion, p.lastSeen, p.registeredAt),
    touch: (id, at) => void db.prepare('UPDATE pops SET last_seen = MAX(last_seen, ?) WHERE id = ?').run(at, id),
    setApplied: (id, version) => void db.prepare('UPDATE pops SET applied_version = ? WHERE id = ?').run(version, id),
    delete: (id) => void db.prepare('DELETE FROM pops WHERE id = ?').run(id),
  };
}

export function snapshotRepo(db: Database.Database): SnapshotRepo {
  const map = snapshotOf;
  const mapAck = ackOf;
  return {
    latestVersion: () =>
      Number((db.prepare('SELECT MAX(version) AS v FROM snapshots').get() as { v: number | null }).v ?? 0),
    get: (version) => {
      const r = db.prepare('SELECT * FROM snapshots WHERE version = ?').get(version) as Row | undefined;
      return r && map(r);
    },
    list: (limit) => (db.prepare('SELECT * FROM snapshots ORDER BY version DESC LIMIT ?').all(limit) as Row[]).map(map),
    insert: (s) =>
      void db
        .prepare('INSERT INTO snapshots (version, created_at, checksum, reason, document) VALUES (?, ?, ?, ?, ?)')
        .run(s.version, s.createdAt, s.checksum, s.reason, s.document),
    putAck: (a) =>
      void db
        .prepare(
          `INSERT INTO snapshot_acks (version, pop, ok, error, at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (version, pop) DO UPDATE SET ok = excluded.ok, error = excluded.error, at = excluded.at`,
        )
        .run(a.version, a.pop, a.ok ? 1 : 0, a.error, a.at),
    acks: (version) =>
      (db.prepare('SELECT * FROM snapshot_acks WHERE version = ? ORDER BY pop').all(version) as Row[]).map(mapAck),
    putDistributionAck: (a) =>
      void db
        .prepare(
          `INSERT INTO distribution_acks (pop, distribution_id, generation, wanted, ok, error, at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (pop, distribution_id) DO UPDATE SET
             at = CASE WHEN generation != excluded.generation OR wanted != excluded.wanted OR ok != excluded.ok
                  THEN excluded.at ELSE at END,
             generation = excluded.generation, wanted = excluded.wanted, ok = excluded.ok, error = excluded.error`,
        )
        .run(a.pop, a.distributionId, a.generation, a.wanted, a.ok ? 1 : 0, a.error, a.at),
    distributionAcks: (id) =>
      (id === undefined
        ? (db.prepare('SELECT * FROM distribution_acks ORDER BY distribution_id, pop').all() as Row[])
        : (db.prepare('SELECT * FROM distribution_acks WHERE distribution_id = ? ORDER BY pop').all(id) as Row[])
      ).map(distributionAckOf),
    // One pass over every stored document: `bundles` is keyed by sha256 (protocol.ts).
    bundlesInUse: (shas) => {
      if (shas.length === 0) return new Set();
      const rows = db
        .prepare(
          `SELECT DISTINCT j.key AS sha FROM snapshots s, json_each(s.document, '$.bundles') j
           WHERE j.key IN (${shas.map(() => '?').join(', ')})`,
        )
        .all(...shas) as Array<{ sha: string }>;
      return new Set(rows.map((r) => r.sha));
    },
  };
}

export function invalidationRepo(db: Database.Database): InvalidationRepo {
  const map = invalidationOf;
  const get = (id: string): InvalidationRecord | undefined => {
    const r = db.prepare('SELECT * FROM invalidations WHERE id = ?').get(id) as Row | undefined;
    return r && map(r);
  };
  return {
    insert: (i) => {
      db.prepare('INSERT INTO invalidations (id, distribution_id, paths, tags, created_at) VALUES (?, ?, ?, ?, ?)').run(
        i.id,
        i.distributionId,
        JSON.stringify(i.paths),
        JSON.stringify(i.tags),
        i.createdAt,
      );
      return get(i.id)!;
    },
    get,
    list: (distributionId) =>
      (distributionId === undefined
        ? (db.prepare('SELECT * FROM invalidations ORDER BY seq DESC').all() as Row[])
        : (db
            .prepare('SELECT * FROM invalidations WHERE distribution_id = ? ORDER BY seq DESC')
            .all(distributionId) as Row[])
      ).map(map),
    unackedSince: (pop, afterSeq) =>
      (
        db
          .prepare(
            `SELECT * FROM invalidations i WHERE i.seq > ?
             AND NOT EXISTS (SELECT 1 FROM invalidation_acks a WHERE a.id = i.id AND a.pop = ?) ORDER BY i.seq`,
          )
          .all(afterSeq, pop) as Row[]
      ).map(map),
    lastSeq: () => Number((db.prepare('SELECT MAX(seq) AS s FROM invalidations').get() as { s: number | null }).s ?? 0),
    putAck: (a) =>
      void db
        .prepare(
          `INSERT INTO invalidation_acks (id, pop, removed, at) VALUES (?, ?, ?, ?)
           ON CONFLICT (id, pop) DO UPDATE SET removed = excluded.removed, at = excluded.at`,
        )
        .run(a.id, a.pop, a.removed, a.at),
    acks: (id) =>
      (db.prepare('SELECT * FROM invalidation_acks WHERE id = ? ORDER BY pop').all(id) as Row[]).map(invalidationAckOf),
  };
}
