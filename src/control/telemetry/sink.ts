/**
 * @module control/telemetry/sink
 * Where the PoPs' logs and metric points go: a `TelemetrySink`, kept apart from the config store
 * (DESIGN 4: batches with ids, delivered at least once, stored idempotently, so the sink can later
 * be a log pipeline). On SQLite it is a database file of its own beside the store's; on
 * PostgreSQL its own pool on the telemetry tables, whose transactions never take the store's
 * write lock. Either way a flood of log batches cannot hold up a config change.
 */
import type { LogRecord, MetricPoint } from '../../shared/replication/protocol.js';
import type { LogFilter, MetricFilter, StoredLogRecord, StoredMetricPoint } from '../store/types.js';

/** One batch as a PoP sent it; `batchId` is unique per PoP and kind. */
export type TelemetryBatch =
  | { kind: 'logs'; batchId: string; pop: string; at: number; records: readonly LogRecord[] }
  | { kind: 'metrics'; batchId: string; pop: string; at: number; points: readonly MetricPoint[] };

export interface TelemetrySink {
  /**
   * Stores the batches in one transaction; for each, true when it was stored now and false when
   * its id was stored before (a resent batch is not stored twice, also within one call).
   */
  write(batches: readonly TelemetryBatch[]): Promise<boolean[]>;
  queryLogs(f: LogFilter): Promise<StoredLogRecord[]>;
  queryPoints(f: MetricFilter): Promise<StoredMetricPoint[]>;
  /** Deletes log records, metric points and batch ids older than `before`; returns how many records and points went. */
  prune(before: number): Promise<number>;
  close(): Promise<void>;
}

/** Records or points in a batch: what the writer's bounds count. */
export function batchSize(b: TelemetryBatch): number {
  return b.kind === 'logs' ? b.records.length : b.points.length;
}
