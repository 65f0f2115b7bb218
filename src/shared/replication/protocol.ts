/**
 * @module shared/replication/protocol
 * The wire protocol between the control plane and the edges (DESIGN sections 1 and 4). Edges
 * never import the control plane and the control plane never imports the edge: this file is
 * the whole contract. Everything here is JSON over HTTPS/HTTP with an edge bearer token.
 *
 *   edge                                          control plane
 *   POST /api/v1/edge/register {pop, region, ...} ─▶ registers the PoP (idempotent)
 *   GET  /api/v1/edge/watch?after=N  (SSE)        ◀─ `snapshot` {version, checksum} as soon as one exists after N,
 *                                                    `invalidation` {...}, `ping` every 15 s
 *   GET  /api/v1/edge/snapshots/{version}         ◀─ the Snapshot document
 *   GET  /api/v1/edge/bundles/{sha256}            ◀─ a function package (zip bytes), addressed by content hash
 *   GET  /api/v1/edge/kvs/{sha256}                ◀─ a KeyValueStore's data (JSON), addressed by content hash
 *   POST /api/v1/edge/acks {pop, version, ok, error?}                       ─▶ applied (or refused) snapshot
 *   POST /api/v1/edge/invalidations/{id}/ack {pop, removed}                ─▶ invalidation done at this PoP
 *   POST /api/v1/edge/logs {batchId, pop, records: LogRecord[]}            ─▶ function and access logs (idempotent by batchId)
 *   POST /api/v1/edge/metrics {batchId, pop, points: MetricPoint[]}        ─▶ metric points (idempotent by batchId)
 *
 * The watch resumes from "the last snapshot I have", so an edge can reconnect to any replica.
 */
import type { DistributionConfig } from '../config/types.js';

// The messages are TypeBox schemas (schemas.ts); their types keep their names here.
export type {
  AckRequest,
  DistributionAck,
  InvalidationAck,
  LogBatch,
  LogRecord,
  MetricBatch,
  MetricPoint,
  RegisterRequest,
  WatchInvalidationEvent,
  WatchSnapshotEvent,
} from './schemas.js';

export const PROTOCOL_VERSION = 1;

/** Prefix of a function `path` inside a snapshot: `bundle:<sha256>` names a package by content. */
export const BUNDLE_PREFIX = 'bundle:';
/** Prefix of a KeyValueStore `path` inside a snapshot: `kvs:<sha256>`. */
export const KVS_PREFIX = 'kvs:';

export interface BundleRef {
  sha256: string;
  /** Bytes of the zip. */
  size: number;
  /** Function name and numbered version, for logs and progress. */
  name: string;
  version: string;
}

/**
 * An immutable, numbered snapshot of everything edges serve. Function associations inside
 * `distributions` use the ordinary config schema with `function.path = "bundle:<sha256>"` and
 * `function.version` set to the numbered version; the edge swaps the path for its local copy.
 */
export interface Snapshot {
  protocol: typeof PROTOCOL_VERSION;
  version: number;
  createdAt: string;
  /** sha256 (hex) of canonicalJson({ version, distributions, bundles, kvs }). */
  checksum: string;
  distributions: DistributionConfig[];
  bundles: Record<string, BundleRef>;
  kvs: Record<string, { sha256: string; keyCount: number; name: string }>;
  /** Why it was made (`function auth:3 attached to demo /api/* origin-request`), for history. */
  reason: string;
  /**
   * Each distribution's generation: the snapshot version that carried its last change. A PoP
   * activates, keeps and acknowledges every distribution on its own by generation, so one
   * distribution it refuses keeps its previous generation and holds no other back. Absent in
   * snapshots from before generations existed (every distribution is then at `version`).
   * Covered by the checksum when present.
   */
  generations?: Record<string, number>;
}

/**
 * One aggregated point for one series over one interval (10 s by default). Counters are deltas
 * over the interval; durations are sums plus a small histogram so the control plane can
 * compute p50/p95/p99 across PoPs. An edge ships every 1–2 s, so several points (from one PoP
 * or many) may share one interval start: they add up (counters and histogram counts are sums).
 *
 * Counter names: METRIC_COUNTERS below, plus `error:<Class>` per error class on function points
 * (the X-Cache class of the error code, e.g. `error:LambdaExecutionError`); edges may also send
 * `originFetches` on distribution points (stored, not aggregated).
 */
/** Histogram bucket upper bounds (ms) every edge uses; `counts` has one more slot (+Inf). */
export const METRIC_BOUNDS_MS: readonly number[] = [
  1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
];

/** The counters the control plane aggregates (`GET /api/v1/metrics`); others are stored and ignored. */
export const METRIC_COUNTERS = {
  function: ['invocations', 'coldStarts', 'throttles'],
  /** hitRatio = hits / (hits + misses); rate4xx = status4xx / requests. */
  distribution: ['requests', 'bytes', 'hits', 'misses', 'status4xx', 'status5xx'],
} as const;
/** Prefix of per-class error counters on function points. */
export const ERROR_COUNTER_PREFIX = 'error:';

/** Canonical JSON: object keys sorted, no whitespace; what checksums are computed over. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map((x) => canonicalJson(x === undefined ? null : x)).join(',') + ']';
  const o = v as Record<string, unknown>;
  return (
    '{' +
    Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => JSON.stringify(k) + ':' + canonicalJson(o[k]))
      .join(',') +
    '}'
  );
}
