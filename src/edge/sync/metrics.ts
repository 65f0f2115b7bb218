/**
 * @module edge/sync/metrics
 * Aggregates what one edge sees into replication MetricPoints (src/shared/replication/protocol.ts):
 * per function version (invocations, errors by class as `error:<Class>`, duration histogram,
 * cold starts, throttles) and per distribution (requests, bytes, hits, misses, 4xx, 5xx, origin fetches and
 * an origin-latency histogram). Series are keyed by labels and by interval start; `drain()` hands
 * over everything accumulated since the last call as deltas, so a point shipped every second
 * for a 10 s interval adds up on the control plane.
 */
import type { Clock } from '../../shared/clock.js';
import { ERROR_CODES } from '../../shared/errors.js';
import { ERROR_COUNTER_PREFIX, METRIC_BOUNDS_MS, type MetricPoint } from '../../shared/replication/protocol.js';

/** What the function host reports per invocation (structurally FunctionHost's InvocationRecord). */
export interface InvocationSample {
  functionName: string;
  functionVersion: string;
  eventType: string;
  ok: boolean;
  errorCode?: string;
  durationMs: number;
  coldStart: boolean;
  /** A canary trigger's side: the point gets `canary` and `arm` labels so the control plane can compare the two. */
  canary?: { id: string; arm: string };
}

export interface RequestSample {
  distributionId: string;
  status: number;
  bytes: number;
  /** CloudFront's x-edge-result-type: Hit, RefreshHit, Miss, Error, ... */
  resultType: string;
  /** Set when the request went to the origin. */
  originLatencyMs?: number;
}

const THROTTLE_CODES = new Set(['LAMBDA_LIMIT_EXCEEDED', 'FUNCTION_THROTTLED']);
const HIT_TYPES = new Set(['Hit', 'RefreshHit']);

interface Series {
  point: MetricPoint;
  histogram: NonNullable<MetricPoint['histogram']>;
}

export class MetricAggregator {
  readonly intervalMs: number;
  readonly #clock: Clock;
  #series = new Map<string, Series>();

  constructor(clock: Clock, intervalMs = 10_000) {
    this.#clock = clock;
    this.intervalMs = intervalMs;
  }

  /** Distinct series waiting to be drained. */
  get size(): number {
    return this.#series.size;
  }

  invocation(r: InvocationSample): void {
    const labels: Record<string, string> = { name: r.functionName, version: r.functionVersion, event: r.eventType };
    if (r.canary) Object.assign(labels, { canary: r.canary.id, arm: r.canary.arm });
    const s = this.#get('function', labels);
    const c = s.point.counters;
    add(c, 'invocations', 1);
    if (r.coldStart) add(c, 'coldStarts', 1);
    if (!r.ok) {
      add(c, ERROR_COUNTER_PREFIX + errorClass(r.errorCode), 1);
      if (r.errorCode && THROTTLE_CODES.has(r.errorCode)) add(c, 'throttles', 1);
    }
    observe(s.histogram, r.durationMs);
  }

  request(r: RequestSample): void {
    const s = this.#get('distribution', { distribution: r.distributionId });
    const c = s.point.counters;
    add(c, 'requests', 1);
    add(c, 'bytes', r.bytes);
    if (HIT_TYPES.has(r.resultType)) add(c, 'hits', 1);
    else if (r.resultType === 'Miss') add(c, 'misses', 1);
    if (r.status >= 400 && r.status < 500) add(c, 'status4xx', 1);
    else if (r.status >= 500) add(c, 'status5xx', 1);
    if (r.originLatencyMs !== undefined) {
      add(c, 'originFetches', 1);
      observe(s.histogram, r.originLatencyMs);
    }
  }

  /** Every point accumulated since the last drain (deltas), then start afresh. */
  drain(): MetricPoint[] {
    const out = [...this.#series.values()].map((s) =>
      s.histogram.count > 0 ? { ...s.point, histogram: s.histogram } : s.point,
    );
    this.#series.clear();
    return out;
  }

  #get(kind: MetricPoint['kind'], labels: Record<string, string>): Series {
    const time = Math.floor(this.#clock.now() / this.intervalMs) * this.intervalMs;
    const key = `${kind}\u0000${time}\u0000${JSON.stringify(labels)}`;
    let s = this.#series.get(key);
    if (!s) {
      const histogram = {
        boundsMs: [...METRIC_BOUNDS_MS],
        counts: new Array<number>(METRIC_BOUNDS_MS.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      s = { point: { time, intervalMs: this.intervalMs, kind, labels, counters: {} }, histogram };
      this.#series.set(key, s);
    }
    return s;
  }
}

/** CloudFront's class for an error code (its X-Cache word, e.g. `LambdaExecutionError`). */
function errorClass(code: string | undefined): string {
  const spec = code ? (ERROR_CODES as Record<string, { xCache?: string }>)[code] : undefined;
  return spec?.xCache ?? code ?? 'Unknown';
}

function add(c: Record<string, number>, k: string, n: number): void {
  c[k] = (c[k] ?? 0) + n;
}

function observe(h: Series['histogram'], ms: number): void {
  let i = 0;
  while (i < h.boundsMs.length && ms > h.boundsMs[i]!) i++;
  h.counts[i]!++;
  h.sum += ms;
  h.count++;
}
