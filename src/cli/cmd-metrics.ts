/**
 * @module cli/cmd-metrics
 * `verge metrics [--function NAME[:VERSION] | --distribution ID] [--since 1h]`: the metric
 * series of docs/api.md `GET /metrics` as a compact table, one row per series, with totals and
 * a unicode sparkline of the main counter.
 */
import type { MetricPointOut, MetricQuery, MetricSeries } from '../client/index.js';
import { UsageError } from './args.js';
import { CONNECTION_HELP, apiErrors, connect, parseCommand } from './cmd-common.js';
import { parseSince } from './cmd-logs.js';
import { emit, sparkline, table } from './output.js';

export const METRICS_HELP = `verge metrics [--function NAME[:VERSION] | --distribution ID] [--pop ID] [--since 1h] [--step 1m]

Functions: invocations, errors, p50/p95/p99 duration, cold starts, throttles per version and PoP.
Distributions: requests, bytes, hit ratio, 4xx/5xx rates, origin latency.
Without --function or --distribution: every function.

${CONNECTION_HELP}
`;

const sum = (pts: MetricPointOut[], f: (p: MetricPointOut) => number | undefined) =>
  pts.reduce((a, p) => a + (f(p) ?? 0), 0);
const last = (pts: MetricPointOut[], f: (p: MetricPointOut) => number | null | undefined) => {
  for (let i = pts.length - 1; i >= 0; i--) {
    const v = f(pts[i]!);
    if (typeof v === 'number') return v;
  }
  return undefined;
};
const ms = (v: number | undefined) => (v === undefined ? '-' : `${v < 10 ? v.toFixed(2) : Math.round(v)}ms`);
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);

function label(s: MetricSeries): string {
  const l = s.labels;
  return [l.name && l.version ? `${l.name}:${l.version}` : (l.name ?? l.distribution), l.event, l.pop]
    .filter(Boolean)
    .join(' ');
}

export function renderFunctionSeries(series: MetricSeries[]): string {
  const rows = series.map((s) => {
    const pts = s.points;
    const errors = sum(pts, (p) => Object.values(p.errors ?? {}).reduce((a, b) => a + b, 0));
    return [
      label(s),
      sum(pts, (p) => p.invocations),
      errors,
      ms(last(pts, (p) => p.p50)),
      ms(last(pts, (p) => p.p95)),
      ms(last(pts, (p) => p.p99)),
      sum(pts, (p) => p.coldStarts),
      sum(pts, (p) => p.throttles),
      sparkline(pts.map((p) => p.invocations)),
    ];
  });
  return table(['SERIES', 'INVOCATIONS', 'ERRORS', 'P50', 'P95', 'P99', 'COLD', 'THROTTLED', 'TREND'], rows);
}

export function renderDistributionSeries(series: MetricSeries[]): string {
  const rows = series.map((s) => {
    const pts = s.points;
    return [
      label(s),
      sum(pts, (p) => p.requests),
      sum(pts, (p) => p.bytes),
      pct(last(pts, (p) => p.hitRatio)),
      pct(last(pts, (p) => p.rate4xx)),
      pct(last(pts, (p) => p.rate5xx)),
      ms(last(pts, (p) => p.originLatencyP50)),
      sparkline(pts.map((p) => p.requests)),
    ];
  });
  return table(['SERIES', 'REQUESTS', 'BYTES', 'HIT', '4XX', '5XX', 'ORIGIN P50', 'TREND'], rows);
}

export async function metricsCommand(argv: string[]): Promise<void> {
  const p = parseCommand(
    argv,
    {
      function: { type: 'string' },
      distribution: { type: 'string' },
      pop: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      step: { type: 'string' },
    },
    METRICS_HELP,
  );
  if (!p) return;
  const v = p.values;
  if (v.function && v.distribution) throw new UsageError('give --function or --distribution, not both');
  const m = v.function ? /^(.+?)(?::(\d+))?$/.exec(v.function) : null;
  const q: MetricQuery = { kind: v.distribution ? 'distribution' : 'function' };
  if (m?.[1]) q.name = m[1];
  if (m?.[2]) q.version = m[2];
  if (v.distribution) q.distribution = v.distribution;
  if (v.pop) q.pop = v.pop;
  q.since = parseSince(v.since ?? '1h', '--since');
  const until = parseSince(v.until, '--until');
  if (until !== undefined) q.until = until;
  if (v.step) q.step = v.step;
  const ctx = await connect(v);
  await apiErrors(async () => {
    const series = await ctx.client.metrics.query(q);
    emit(ctx.format, series, () => {
      if (!series.length) return 'no metrics in this window (PoPs send them every few seconds; widen --since?)';
      return q.kind === 'function' ? renderFunctionSeries(series) : renderDistributionSeries(series);
    });
  });
}
