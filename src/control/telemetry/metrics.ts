/**
 * @module control/telemetry/metrics
 * Metric points from every PoP turned into chartable time series: counters summed per step,
 * duration histograms merged bucket by bucket (every edge uses the same bounds), and p50/p95/p99
 * read from the merged histogram, so percentiles are right across PoPs instead of averaged.
 * Each series also has `total`: the same fields over the whole window [since, until), so a
 * summary (the CLI's table) never mixes window totals with one step's rates.
 */
import { ERROR_COUNTER_PREFIX } from '../../shared/replication/protocol.js';
import type { StoredMetricPoint } from '../store/types.js';

export interface SeriesQuery {
  kind: 'function' | 'distribution';
  since: number;
  until: number;
  stepMs: number;
  /** Split series by PoP as well. */
  byPop: boolean;
}

interface Bucket {
  counters: Map<string, number>;
  /** bound (ms) → count; Infinity for the overflow bucket. */
  hist: Map<number, number>;
}

/** Quantile from a merged histogram, interpolated linearly inside the bucket that holds it. */
export function quantile(hist: Map<number, number>, q: number): number | null {
  const bounds = [...hist.keys()].sort((a, b) => a - b);
  const total = bounds.reduce((n, b) => n + hist.get(b)!, 0);
  if (total === 0) return null;
  const target = q * total;
  let acc = 0;
  let lower = 0;
  for (const b of bounds) {
    const c = hist.get(b)!;
    if (c > 0 && acc + c >= target) {
      if (b === Infinity) return lower;
      return Math.round((lower + ((target - acc) / c) * (b - lower)) * 1000) / 1000;
    }
    acc += c;
    if (b !== Infinity) lower = b;
  }
  return lower;
}

function addPoint(bucket: Bucket, p: StoredMetricPoint): void {
  for (const [k, v] of Object.entries(p.counters))
    if (Number.isFinite(v)) bucket.counters.set(k, (bucket.counters.get(k) ?? 0) + v);
  const h = p.histogram;
  if (!h) return;
  h.counts.forEach((c, i) => {
    const bound = h.boundsMs[i] ?? Infinity;
    bucket.hist.set(bound, (bucket.hist.get(bound) ?? 0) + c);
  });
}

function seriesKey(kind: SeriesQuery['kind'], p: StoredMetricPoint, byPop: boolean): Record<string, string> {
  const l = p.labels;
  const base: Record<string, string> =
    kind === 'function' ? { name: l.name ?? '', version: l.version ?? '' } : { distribution: l.distribution ?? '' };
  return byPop ? { ...base, pop: p.pop } : base;
}

function pointOut(kind: SeriesQuery['kind'], time: number, b: Bucket | undefined) {
  const c = (k: string) => b?.counters.get(k) ?? 0;
  const hist = b?.hist ?? new Map<number, number>();
  if (kind === 'function') {
    const errors: Record<string, number> = {};
    for (const [k, v] of b?.counters ?? [])
      if (k.startsWith(ERROR_COUNTER_PREFIX)) errors[k.slice(ERROR_COUNTER_PREFIX.length)] = v;
    return {
      time,
      invocations: c('invocations'),
      errors,
      p50: quantile(hist, 0.5),
      p95: quantile(hist, 0.95),
      p99: quantile(hist, 0.99),
      coldStarts: c('coldStarts'),
      throttles: c('throttles'),
    };
  }
  const requests = c('requests');
  const lookups = c('hits') + c('misses');
  const rate = (n: number) => (requests === 0 ? 0 : Math.round((n / requests) * 10000) / 10000);
  return {
    time,
    requests,
    bytes: c('bytes'),
    hitRatio: lookups === 0 ? null : Math.round((c('hits') / lookups) * 10000) / 10000,
    rate4xx: rate(c('status4xx')),
    rate5xx: rate(c('status5xx')),
    status4xx: c('status4xx'),
    status5xx: c('status5xx'),
    originLatencyP50: quantile(hist, 0.5),
    originLatencyP95: quantile(hist, 0.95),
    originLatencyP99: quantile(hist, 0.99),
  };
}

export function toSeries(points: readonly StoredMetricPoint[], q: SeriesQuery) {
  const series = new Map<string, { labels: Record<string, string>; buckets: Map<number, Bucket>; total: Bucket }>();
  for (const p of points) {
    const labels = seriesKey(q.kind, p, q.byPop);
    const key = JSON.stringify(labels);
    let s = series.get(key);
    if (!s) series.set(key, (s = { labels, buckets: new Map(), total: { counters: new Map(), hist: new Map() } }));
    const t = q.since + Math.floor((p.time - q.since) / q.stepMs) * q.stepMs;
    let b = s.buckets.get(t);
    if (!b) s.buckets.set(t, (b = { counters: new Map(), hist: new Map() }));
    addPoint(b, p);
    addPoint(s.total, p);
  }
  const times: number[] = [];
  for (let t = q.since; t < q.until; t += q.stepMs) times.push(t);
  return [...series.values()]
    .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)))
    .map((s) => ({
      labels: s.labels,
      points: times.map((t) => pointOut(q.kind, t, s.buckets.get(t))),
      total: pointOut(q.kind, q.since, s.total),
    }));
}
