/**
 * @module console/metrics-data
 * Metric queries the console makes: `GET /metrics` with `by=pop` (one series per PoP, a
 * documented query parameter the typed client does not name) over a recent window.
 */
import type { MetricSeries, VergeClient } from './api.js';

export interface MetricWindow {
  kind: 'function' | 'distribution';
  name?: string;
  distribution?: string;
  /** Minutes back from now. */
  minutes: number;
  byPop?: boolean;
}

export async function loadSeries(client: VergeClient, w: MetricWindow): Promise<MetricSeries[]> {
  const until = Date.now();
  const since = until - w.minutes * 60_000;
  // At most ~120 points per series whatever the window.
  const step = Math.max(10_000, Math.ceil((w.minutes * 60_000) / 120 / 10_000) * 10_000);
  const query = {
    kind: w.kind,
    name: w.name,
    distribution: w.distribution,
    since,
    until,
    step,
    by: w.byPop ? 'pop' : undefined,
  };
  const answer = await client.transport.request<{ series: MetricSeries[] }>('GET', '/metrics', { query });
  return answer.value.series;
}

/** Sum of one counter over every point of every series. */
export function total(series: MetricSeries[], pick: (p: MetricSeries['points'][number]) => number | undefined): number {
  let n = 0;
  for (const s of series) for (const p of s.points) n += pick(p) ?? 0;
  return n;
}
