/**
 * @module control/store/rows
 * Rows to records, for every implementation: SQLite and PostgreSQL keep the same tables and
 * column names (JSON as text, booleans as 0/1, times as integers, which `pg` hands back as
 * strings for BIGINT), so one set of mappers reads both. Also the log query's WHERE clause,
 * written with `?` placeholders (the PostgreSQL store numbers them).
 */
import type { DistributionConfig } from '../../shared/config/types.js';
import type { CanaryRecord } from '../domain/canary.js';
import type { LogRecord, MetricPoint } from '../../shared/replication/protocol.js';
import type { OutboxEvent } from '../../shared/bus/messages.js';
import type {
  AckRecord,
  DistributionAckRecord,
  DistributionRecord,
  FunctionRecord,
  FunctionSettings,
  InvalidationAckRecord,
  InvalidationRecord,
  KeyGroupRecord,
  KvsRecord,
  LogFilter,
  OutboxRecord,
  PopRecord,
  PublicKeyRecord,
  SnapshotRecord,
  StoredLogRecord,
  StoredMetricPoint,
  TokenRecord,
  TriggerRecord,
  VersionRecord,
} from './types.js';

export type Row = Record<string, unknown>;
const json = <T>(v: unknown): T => JSON.parse(String(v)) as T;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const opt = <T>(v: unknown, f: (x: unknown) => T): T | undefined => (v === null || v === undefined ? undefined : f(v));

export const tokenOf = (r: Row): TokenRecord => ({
  id: String(r.id),
  name: String(r.name),
  kind: r.kind as TokenRecord['kind'],
  pop: strOrNull(r.pop),
  hash: String(r.hash),
  createdAt: Number(r.created_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});

/** Settings as stored; rows written before a field existed get its default (`egress`: none). */
export function settingsOfRow(v: unknown): FunctionSettings {
  const s = json<FunctionSettings>(v);
  return { ...s, egress: s.egress ?? null };
}

/** The settings column of a function row. */
export function settingsColumn(f: FunctionSettings): string {
  const { runtime, handler, memoryMB, timeoutMs, profile, concurrency, env, secrets, kvs, egress } = f;
  return JSON.stringify({ runtime, handler, memoryMB, timeoutMs, profile, concurrency, env, secrets, kvs, egress });
}

export const functionOf = (r: Row): FunctionRecord => ({
  name: String(r.name),
  ...settingsOfRow(r.settings),
  codeSha256: String(r.code_sha256),
  codeSize: Number(r.code_size),
  revision: Number(r.revision),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const versionOf = (r: Row): VersionRecord => ({
  name: String(r.name),
  version: Number(r.version),
  sha256: String(r.sha256),
  size: Number(r.size),
  description: String(r.description),
  createdAt: Number(r.created_at),
  settings: settingsOfRow(r.settings),
});

export const distributionOf = (r: Row): DistributionRecord => ({
  id: String(r.id),
  config: json<DistributionConfig>(r.config),
  revision: Number(r.revision),
  changedIn: Number(r.changed_in),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const triggerOf = (r: Row): TriggerRecord => ({
  id: String(r.id),
  distributionId: String(r.distribution_id),
  behavior: String(r.behavior),
  eventType: r.event_type as TriggerRecord['eventType'],
  functionName: String(r.function_name),
  functionVersion: Number(r.function_version),
  includeBody: Number(r.include_body) === 1,
  revision: Number(r.revision),
  createdAt: Number(r.created_at),
  canary: r.canary === null || r.canary === undefined ? null : json<CanaryRecord>(r.canary),
});

export const kvsOf = (r: Row): KvsRecord => ({
  name: String(r.name),
  data: json<Record<string, string>>(r.data),
  revision: Number(r.revision),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const publicKeyOf = (r: Row): PublicKeyRecord => ({
  id: String(r.id),
  name: String(r.name),
  encodedKey: String(r.encoded_key),
  comment: String(r.comment),
  createdAt: Number(r.created_at),
});

export const keyGroupOf = (r: Row): KeyGroupRecord => ({
  id: String(r.id),
  name: String(r.name),
  comment: String(r.comment),
  publicKeyIds: json<string[]>(r.public_key_ids),
  revision: Number(r.revision),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const popOf = (r: Row): PopRecord => ({
  id: String(r.id),
  region: String(r.region),
  location: strOrNull(r.location),
  edgeVersion: String(r.edge_version),
  appliedVersion: Number(r.applied_version),
  lastSeen: Number(r.last_seen),
  registeredAt: Number(r.registered_at),
});

export const snapshotOf = (r: Row): SnapshotRecord => ({
  version: Number(r.version),
  createdAt: Number(r.created_at),
  checksum: String(r.checksum),
  reason: String(r.reason),
  document: String(r.document),
});

export const ackOf = (r: Row): AckRecord => ({
  version: Number(r.version),
  pop: String(r.pop),
  ok: Number(r.ok) === 1,
  error: strOrNull(r.error),
  at: Number(r.at),
});

export const distributionAckOf = (r: Row): DistributionAckRecord => ({
  pop: String(r.pop),
  distributionId: String(r.distribution_id),
  generation: Number(r.generation),
  wanted: Number(r.wanted),
  ok: Number(r.ok) === 1,
  error: strOrNull(r.error),
  at: Number(r.at),
});

export const invalidationOf = (r: Row): InvalidationRecord => ({
  id: String(r.id),
  distributionId: String(r.distribution_id),
  paths: json<string[]>(r.paths),
  tags: json<string[]>(r.tags),
  createdAt: Number(r.created_at),
  seq: Number(r.seq),
});

export const invalidationAckOf = (r: Row): InvalidationAckRecord => ({
  id: String(r.id),
  pop: String(r.pop),
  removed: Number(r.removed),
  at: Number(r.at),
});

export function logOf(r: Row): StoredLogRecord {
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

/** The values of one log_records row, in the column order of `LOG_COLUMNS`. */
export const LOG_COLUMNS =
  'time, type, pop, request_id, distribution_id, function_name, function_version, event_type, level, status, message, fields';
export function logValues(r: LogRecord): Array<string | number | null> {
  return [
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
  ];
}

export function logWhere(f: LogFilter): { sql: string; args: Array<string | number> } {
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

export const logOrder = (f: LogFilter): string =>
  f.afterId !== undefined ? 'ORDER BY id ASC' : 'ORDER BY time DESC, id DESC';

/** Metric rows of the query's kind and window, kept when every label asked for matches. */
export function pointsOf(rows: Row[], labels: Record<string, string>): StoredMetricPoint[] {
  const out: StoredMetricPoint[] = [];
  for (const r of rows) {
    const l = json<Record<string, string>>(r.labels);
    if (!Object.entries(labels).every(([k, v]) => l[k] === v)) continue;
    const p: StoredMetricPoint = {
      pop: String(r.pop),
      time: Number(r.time),
      intervalMs: Number(r.interval_ms),
      kind: r.kind as MetricPoint['kind'],
      labels: l,
      counters: json<Record<string, number>>(r.counters),
    };
    if (r.histogram !== null) p.histogram = json<NonNullable<MetricPoint['histogram']>>(r.histogram);
    out.push(p);
  }
  return out;
}

export const outboxOf = (r: Row): OutboxRecord => ({
  seq: Number(r.seq),
  event: json<OutboxEvent>(r.payload),
  createdAt: Number(r.created_at),
  relayedAt: r.relayed_at === null || r.relayed_at === undefined ? null : Number(r.relayed_at),
});
