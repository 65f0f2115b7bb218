/**
 * @module control/store/sqlite/telemetry-repo
 * Log records and metric points from the edges, with the batch ids that make delivery
 * idempotent, and retention pruning.
 */
import type Database from 'better-sqlite3';
import { LOG_COLUMNS, logOf, logOrder, logValues, logWhere, pointsOf, type Row } from '../rows.js';
import type { TelemetryRepo } from '../types.js';

export function telemetryRepo(db: Database.Database): TelemetryRepo {
  const insertLog = db.prepare(`INSERT INTO log_records (${LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertPoint = db.prepare(
    'INSERT INTO metric_points (time, interval_ms, kind, pop, labels, counters, histogram) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    claimBatch: (batchId, kind, pop, at) =>
      db
        .prepare('INSERT OR IGNORE INTO telemetry_batches (batch_id, kind, pop, received_at) VALUES (?, ?, ?, ?)')
        .run(`${kind}:${pop}:${batchId}`, kind, pop, at).changes === 1,
    insertLogs: (records) => {
      for (const r of records) insertLog.run(...logValues(r));
    },
    queryLogs: (f) => {
      const { sql, args } = logWhere(f);
      return (db.prepare(`SELECT * FROM log_records ${sql} ${logOrder(f)} LIMIT ?`).all(...args, f.limit) as Row[]).map(
        logOf,
      );
    },
    insertPoints: (pop, points) => {
      for (const p of points) {
        insertPoint.run(
          p.time,
          p.intervalMs,
          p.kind,
          pop,
          JSON.stringify(p.labels),
          JSON.stringify(p.counters),
          p.histogram === undefined ? null : JSON.stringify(p.histogram),
        );
      }
    },
    queryPoints: (f) => {
      const args: Array<string | number> = [f.kind, f.since, f.until];
      let sql = 'SELECT * FROM metric_points WHERE kind = ? AND time >= ? AND time < ?';
      if (f.pop !== undefined) {
        sql += ' AND pop = ?';
        args.push(f.pop);
      }
      return pointsOf(db.prepare(sql + ' ORDER BY time, id').all(...args) as Row[], f.labels);
    },
    prune: (before) =>
      db.transaction(() => {
        let n = db.prepare('DELETE FROM log_records WHERE time < ?').run(before).changes;
        n += db.prepare('DELETE FROM metric_points WHERE time < ?').run(before).changes;
        db.prepare('DELETE FROM telemetry_batches WHERE received_at < ?').run(before);
        return n;
      })(),
  };
}
