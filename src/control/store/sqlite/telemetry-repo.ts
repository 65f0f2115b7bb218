/**
 * @module control/store/sqlite/telemetry-repo
 * Log records and metric points from the edges, with the batch ids that make delivery
 * idempotent, and retention pruning.
 */
import type Database from 'better-sqlite3';
import type { LogRecord, MetricPoint } from '../../../shared/replication/protocol.js';
import type { LogFilter, StoredLogRecord, StoredMetricPoint, TelemetryRepo } from '../types.js';

type Row = Record<string, unknown>;

const opt = <T>(v: unknown, f: (x: unknown) => T): T | undefined => (v === null || v === undefined ? undefined : f(v));

function mapLog(r: Row): StoredLogRecord {
  const rec: StoredLogRecord = {
    id: Number(r.id),
    type: r.type as LogRecord['type'],
    time: Number(r.time),
    pop: String(r.pop),
    requestId: String(r.request_id),
    message: String(r.message),
  };
  const extra: Partial<StoredLogRecord> = {
    distributionId: opt(r.distribution_id, String),
    functionName: opt(r.function_name, String),
    functionVersion: opt(r.function_version, String),
    eventType: opt(r.event_type, String),
    level: opt(r.level, (x) => x as LogRecord['level']),
    status: opt(r.status, Number),
    fields: opt(r.fields, (x) => JSON.parse(String(x)) as Record<string, unknown>),
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) (rec as unknown as Row)[k] = v;
  return rec;
}

function logWhere(f: LogFilter): { sql: string; args: Array<string | number> } {
  const where: string[] = [];
  const args: Array<string | number> = [];
  const add = (cond: string, v: string | number | undefined) => {
    if (v === undefined) return;
    where.push(cond);
    args.push(v);
  };
  add('function_name = ?', f.function);
  add('function_version = ?', f.version);
  add('distribution_id = ?', f.distribution);
  add('pop = ?', f.pop);
  add('status = ?', f.status);
  add('request_id = ?', f.requestId);
  add('type = ?', f.type);
  add('time >= ?', f.since);
  add('time <= ?', f.until);
  add('id > ?', f.afterId);
  return { sql: where.length ? 'WHERE ' + where.join(' AND ') : '', args };
}

export function telemetryRepo(db: Database.Database): TelemetryRepo {
  const insertLog = db.prepare(
    `INSERT INTO log_records (time, type, pop, request_id, distribution_id, function_name, function_version, event_type, level, status, message, fields)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertPoint = db.prepare(
    'INSERT INTO metric_points (time, interval_ms, kind, pop, labels, counters, histogram) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    claimBatch: (batchId, kind, pop, at) =>
      db
        .prepare('INSERT OR IGNORE INTO telemetry_batches (batch_id, kind, pop, received_at) VALUES (?, ?, ?, ?)')
        .run(`${kind}:${pop}:${batchId}`, kind, pop, at).changes === 1,
    insertLogs: (records) => {
      for (const r of records) {
        insertLog.run(
          r.time,
          r.type,
          r.pop,
          r.requestId,
          r.distributionId ?? null,
          r.functionName ?? null,
          r.functionVersion ?? null,
          r.eventType ?? null,
          r.level ?? null,
          r.status ?? null,
          r.message,
          r.fields === undefined ? null : JSON.stringify(r.fields),
        );
      }
    },
    queryLogs: (f) => {
      const { sql, args } = logWhere(f);
      const order = f.afterId !== undefined ? 'ORDER BY id ASC' : 'ORDER BY time DESC, id DESC';
      return (db.prepare(`SELECT * FROM log_records ${sql} ${order} LIMIT ?`).all(...args, f.limit) as Row[]).map(
        mapLog,
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
      const rows = db.prepare(sql + ' ORDER BY time, id').all(...args) as Row[];
      const out: StoredMetricPoint[] = [];
      for (const r of rows) {
        const labels = JSON.parse(String(r.labels)) as Record<string, string>;
        if (!Object.entries(f.labels).every(([k, v]) => labels[k] === v)) continue;
        const p: StoredMetricPoint = {
          pop: String(r.pop),
          time: Number(r.time),
          intervalMs: Number(r.interval_ms),
          kind: r.kind as MetricPoint['kind'],
          labels,
          counters: JSON.parse(String(r.counters)) as Record<string, number>,
        };
        if (r.histogram !== null)
          p.histogram = JSON.parse(String(r.histogram)) as NonNullable<MetricPoint['histogram']>;
        out.push(p);
      }
      return out;
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
