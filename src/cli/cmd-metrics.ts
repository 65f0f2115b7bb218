/**
 * @module cli/cmd-metrics
 * `verge metrics [--function NAME[:VERSION] | --distribution ID] [--since 1h]`: the metric
 * series of docs/api.md `GET /metrics` as a compact table, one row per series: every column is
 * the series' `total`, computed by the control plane over the whole window (rates and percentiles
 * included), and a unicode sparkline of the main counter per step.
 */
import type { MetricQuery, MetricSeries } from '../client/index.js';
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

const num = (v: number | null | undefined) => (typeof v === 'number' ? v : undefined);
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
    const t = s.total;
    return [
      label(s),
      t.invocations ?? 0,
      Object.values(t.errors ?? {}).reduce((a, b) => a + b, 0),
      ms(num(t.p50)),
      ms(num(t.p95)),
      ms(num(t.p99)),
      t.coldStarts ?? 0,
      t.throttles ?? 0,
      sparkline(s.points.map((p) => p.invocations)),
    ];
  });
  return table(['SERIES', 'INVOCATIONS', 'ERRORS', 'P50', 'P95', 'P99', 'COLD', 'THROTTLED', 'TREND'], rows);
}

export function renderDistributionSeries(series: MetricSeries[]): string {
  const rows = series.map((s) => {
    const t = s.total;
    return [
      label(s),
      t.requests ?? 0,
      t.bytes ?? 0,
      pct(num(t.hitRatio)),
      pct(num(t.rate4xx)),
      pct(num(t.rate5xx)),
      ms(num(t.originLatencyP50)),
      sparkline(s.points.map((p) => p.requests)),
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
