/**
 * @module control/store/sqlite/outbox-repo
 * The outbox on SQLite (migration 006): rows appended inside the change's transaction, read
 * in seq order by other replicas and the NATS relay.
 */
import type Database from 'better-sqlite3';
import { outboxOf, type Row } from '../rows.js';
import type { OutboxRepo } from '../types.js';

export function outboxRepo(db: Database.Database): OutboxRepo {
  return {
    add: (event, at) =>
      Number(
        db
          .prepare('INSERT INTO outbox (kind, payload, created_at) VALUES (?, ?, ?)')
          .run(event.kind, JSON.stringify(event), at).lastInsertRowid,
      ),
    after: (afterSeq, limit) =>
      (db.prepare('SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as Row[]).map(
        outboxOf,
      ),
    lastSeq: () => Number((db.prepare('SELECT MAX(seq) AS s FROM outbox').get() as { s: number | null }).s ?? 0),
    unrelayed: (limit) =>
      (db.prepare('SELECT * FROM outbox WHERE relayed_at IS NULL ORDER BY seq LIMIT ?').all(limit) as Row[]).map(
        outboxOf,
      ),
    markRelayed: (seqs, at) => {
      const mark = db.prepare('UPDATE outbox SET relayed_at = ? WHERE seq = ? AND relayed_at IS NULL');
      db.transaction(() => {
        for (const s of seqs) mark.run(at, s);
      })();
    },
    prune: (before) => db.prepare('DELETE FROM outbox WHERE created_at < ?').run(before).changes,
  };
}
