/**
 * toSeries: each series' `total` covers the whole window, so the CLI's table (which shows only
 * totals) never mixes a window's counts with one step's rates. The case is the one a user saw: a
 * window whose early minutes are half 401s and whose last minute has none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METRIC_BOUNDS_MS } from '../../shared/replication/protocol.js';
import type { StoredMetricPoint } from '../store/types.js';
import { toSeries } from './metrics.js';
import { renderDistributionSeries, renderFunctionSeries } from '../../cli/cmd-metrics.js';

const T0 = 1_800_000_000_000;
const hist = (bucket: number, n: number) => {
  const counts = new Array<number>(METRIC_BOUNDS_MS.length + 1).fill(0);
  counts[bucket] = n;
  return { boundsMs: [...METRIC_BOUNDS_MS], counts, sum: 0, count: n };
};
const dist = (minute: number, pop: string, c: Record<string, number>): StoredMetricPoint => ({
  pop,
  time: T0 + minute * 60_000,
  intervalMs: 10_000,
  kind: 'distribution',
  labels: { distribution: 'shop' },
  counters: c,
});

test('distribution total: rates and hit ratio over the whole window, not the last step', () => {
  const points = [
    dist(0, 'p1', { requests: 100, bytes: 1000, hits: 10, misses: 90, status4xx: 50, status5xx: 0 }),
    dist(1, 'p2', { requests: 100, bytes: 1000, hits: 40, misses: 60, status4xx: 50, status5xx: 10 }),
    dist(2, 'p1', { requests: 200, bytes: 2000, hits: 150, misses: 50, status4xx: 0, status5xx: 0 }),
  ];
  const [s] = toSeries(points, { kind: 'distribution', since: T0, until: T0 + 180_000, stepMs: 60_000, byPop: false });
  assert.ok(s);
  assert.equal(s.points.at(-1)!.rate4xx, 0, 'the last minute alone has no 4xx');
  const t = s.total as Record<string, unknown>;
  assert.equal(t.requests, 400);
  assert.equal(t.bytes, 4000);
  assert.equal(t.rate4xx, 0.25); // 100 of 400
  assert.equal(t.rate5xx, 0.025); // 10 of 400
  assert.equal(t.hitRatio, 0.5); // 200 hits of 400 lookups
  const table = renderDistributionSeries([s as never]);
  const row = table.split('\n').find((l) => l.startsWith('shop'));
  assert.ok(row, table);
  assert.match(row, /\b400\s+4000\s+50\.0%\s+25\.0%\s+2\.5%/);
});

test('function total: invocations, errors and percentiles from the histogram merged over the window', () => {
  const fn = (minute: number, c: Record<string, number>, h: ReturnType<typeof hist>): StoredMetricPoint => ({
    pop: 'p1',
    time: T0 + minute * 60_000,
    intervalMs: 10_000,
    kind: 'function',
    labels: { name: 'auth', version: '3', event: 'viewer-request' },
    counters: c,
    histogram: h,
  });
  // 90 fast invocations (1-2.5 ms bucket) early, 10 slow ones (250-500 ms) in the last minute.
  const points = [
    fn(0, { invocations: 90, coldStarts: 1, 'error:LambdaExecutionError': 3 }, hist(1, 90)),
    fn(2, { invocations: 10, throttles: 2 }, hist(8, 10)),
  ];
  const [s] = toSeries(points, { kind: 'function', since: T0, until: T0 + 180_000, stepMs: 60_000, byPop: false });
  assert.ok(s);
  const t = s.total as Record<string, unknown>;
  assert.equal(t.invocations, 100);
  assert.deepEqual(t.errors, { LambdaExecutionError: 3 });
  assert.ok((t.p50 as number) < 2.5, `p50 ${String(t.p50)} is in the fast bucket`);
  assert.ok((t.p95 as number) > 250, `p95 ${String(t.p95)} is in the slow bucket`);
  assert.ok((s.points.at(-1)!.p50 as number) > 250, 'the last minute alone is slow');
  const row = renderFunctionSeries([s as never])
    .split('\n')
    .find((l) => l.startsWith('auth:3'));
  assert.ok(row);
  assert.match(row, /^auth:3\s+100\s+3\s+\S+ms\s+\S+ms\s+\S+ms\s+1\s+2\s/);
  assert.doesNotMatch(row.split(/\s+/)[3]!, /^[2-9]\d\dms$/, 'the P50 column is not the last minute');
});
