/**
 * @module control/store/postgres/telemetry-repo
 * Log records, metric points and the batch ids that make their delivery idempotent, on
 * PostgreSQL over `Sql`. Used by the telemetry sink (./telemetry-sink.ts) on its own pool.
 */
import { LOG_COLUMNS, logOf, logOrder, logValues, logWhere, pointsOf } from '../rows.js';
import type { Async, TelemetryRepo } from '../types.js';
import type { Sql } from './open.js';

const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

export function postgresTelemetryRepo(db: Sql): Async<TelemetryRepo> {
  const run = async (sql: string, ...args: unknown[]): Promise<void> => void (await db.run(sql, args));
  return {
    claimBatch: async (batchId, kind, pop, at) =>
      (await db.run(
        'INSERT INTO telemetry_batches (batch_id, kind, pop, received_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
        [`${kind}:${pop}:${batchId}`, kind, pop, at],
      )) === 1,
    // One statement per 1000 records: a statement takes at most 65535 parameters (12 a record).
    insertLogs: async (records) => {
      const row = `(${marks(12)})`;
      for (let i = 0; i < records.length; i += 1000) {
        const part = records.slice(i, i + 1000);
        await run(
          `INSERT INTO log_records (${LOG_COLUMNS}) VALUES ${part.map(() => row).join(', ')}`,
          ...part.flatMap(logValues),
        );
      }
    },
    queryLogs: async (f) => {
      const { sql, args } = logWhere(f);
      return (await db.rows(`SELECT * FROM log_records ${sql} ${logOrder(f)} LIMIT ?`, [...args, f.limit])).map(logOf);
    },
    insertPoints: async (pop, points) => {
      for (let i = 0; i < points.length; i += 1000) {
        const part = points.slice(i, i + 1000);
        await run(
          `INSERT INTO metric_points (time, interval_ms, kind, pop, labels, counters, histogram) VALUES ${part.map(() => `(${marks(7)})`).join(', ')}`,
          ...part.flatMap((p) => [
            p.time,
            p.intervalMs,
            p.kind,
            pop,
            JSON.stringify(p.labels),
            JSON.stringify(p.counters),
            p.histogram === undefined ? null : JSON.stringify(p.histogram),
          ]),
        );
      }
    },
    queryPoints: async (f) => {
      const args: unknown[] = [f.kind, f.since, f.until];
      let sql = 'SELECT * FROM metric_points WHERE kind = ? AND time >= ? AND time < ?';
      if (f.pop !== undefined) {
        sql += ' AND pop = ?';
        args.push(f.pop);
      }
      return pointsOf(await db.rows(sql + ' ORDER BY time, id', args), f.labels);
    },
    prune: async (before) => {
      let n = await db.run('DELETE FROM log_records WHERE time < ?', [before]);
      n += await db.run('DELETE FROM metric_points WHERE time < ?', [before]);
      await db.run('DELETE FROM telemetry_batches WHERE received_at < ?', [before]);
      return n;
    },
  };
}
