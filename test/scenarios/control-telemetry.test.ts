// Logs and metrics from edges: idempotent batches, queries by every filter, live tail over
// server-sent events, metric series merged across PoPs (percentiles from merged histograms),
// and retention pruning on a fake clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/shared/clock.js';
import type { LogRecord, MetricPoint } from '../../src/shared/replication/protocol.js';
import { startTestControl, type TestControl } from '../../src/control/testing/harness.js';
import { openStream } from '../../src/control/testing/sse-client.js';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
const BOUNDS = [10, 100, 1000];

function rec(over: Partial<LogRecord>): LogRecord {
  return { type: 'function', time: T0, pop: 'x', requestId: 'r0', message: 'hello', ...over };
}

function fnPoint(time: number, counters: Record<string, number>, counts: number[]): MetricPoint {
  return {
    time,
    intervalMs: 10_000,
    kind: 'function',
    labels: { name: 'auth', version: '1', event: 'origin-request' },
    counters,
    histogram: { boundsMs: BOUNDS, counts, sum: 0, count: counts.reduce((a, b) => a + b, 0) },
  };
}

describe('control plane logs and metrics', () => {
  const clock = new FakeClock(T0 + 60_000);
  let t: TestControl;
  const tokens: Record<string, string> = {};
  const send = (pop: string, route: 'logs' | 'metrics', body: Record<string, unknown>) =>
    t.api('POST', `/edge/${route}`, { pop, ...body }, { token: tokens[pop] });

  before(async () => {
    t = await startTestControl({ clock, logRetentionMs: 3_600_000 });
    for (const pop of ['p1', 'p2']) {
      tokens[pop] = (await t.api('POST', '/tokens', { name: pop, kind: 'edge', pop })).body.token;
      await t.api(
        'POST',
        '/edge/register',
        { pop, region: 'r', appliedVersion: 0, edgeVersion: 't' },
        { token: tokens[pop] },
      );
    }
  });
  after(() => t.close());

  test('log batches are idempotent by batchId and speak only for their own PoP', async () => {
    const records = [
      rec({
        requestId: 'a1',
        functionName: 'auth',
        functionVersion: '1',
        distributionId: 'shop',
        time: T0 + 1,
        pop: 'p2',
      }),
      rec({
        requestId: 'a2',
        functionName: 'auth',
        functionVersion: '2',
        distributionId: 'shop',
        time: T0 + 2,
        level: 'error',
        type: 'function-error',
      }),
      rec({
        requestId: 'a3',
        type: 'access',
        status: 503,
        distributionId: 'shop',
        time: T0 + 3,
        fields: { 'x-edge-result-type': 'Error' },
      }),
    ];
    const first = await send('p1', 'logs', { batchId: 'b1', records });
    assert.deepEqual(first.body, { accepted: 3, duplicate: false });
    const again = await send('p1', 'logs', { batchId: 'b1', records });
    assert.deepEqual(again.body, { accepted: 0, duplicate: true });
    await send('p2', 'logs', {
      batchId: 'b1',
      records: [rec({ requestId: 'b1', functionName: 'auth', functionVersion: '1', time: T0 + 4 })],
    });
    const all = (await t.api('GET', '/logs')).body.items as LogRecord[];
    assert.deepEqual(
      all.map((r) => `${r.requestId}@${r.pop}`),
      ['b1@p2', 'a3@p1', 'a2@p1', 'a1@p1'],
    );
    const bad = await send('p1', 'logs', { batchId: 'b2', records: [{ ...rec({}), type: 'weird' }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.fields[0].path, '$.records[0].type');
  });

  test('queries filter by function, version, distribution, PoP, status, request id, type and time', async () => {
    const q = async (qs: string) =>
      ((await t.api('GET', `/logs?${qs}`)).body.items as LogRecord[]).map((r) => r.requestId);
    assert.deepEqual(await q('function=auth'), ['b1', 'a2', 'a1']);
    assert.deepEqual(await q('function=auth&version=1'), ['b1', 'a1']);
    assert.deepEqual(await q('distribution=shop&pop=p1'), ['a3', 'a2', 'a1']);
    assert.deepEqual(await q('status=503'), ['a3']);
    assert.deepEqual(await q('requestId=a2'), ['a2']);
    assert.deepEqual(await q('type=function-error'), ['a2']);
    assert.deepEqual(await q(`since=${T0 + 2}&until=${new Date(T0 + 3).toISOString()}`), ['a3', 'a2']);
    assert.deepEqual(await q('limit=1'), ['b1']);
    const bad = await t.api('GET', '/logs?type=nope&limit=0');
    assert.equal(bad.status, 400);
    assert.equal((await t.api('GET', '/logs?since=yesterday')).body.error.fields[0].path, '$.since');
  });

  test('tail streams matching records as batches arrive', async () => {
    const s = await openStream(`${t.control.url}/api/v1/logs/tail?function=auth&pop=p2`, t.adminToken);
    try {
      await send('p1', 'logs', { batchId: 't1', records: [rec({ requestId: 'n1', functionName: 'auth' })] });
      await send('p2', 'logs', {
        batchId: 't1',
        records: [rec({ requestId: 'n2', functionName: 'other' }), rec({ requestId: 'n3', functionName: 'auth' })],
      });
      const ev = await s.next('log');
      assert.equal(ev.data.requestId, 'n3');
      assert.equal(ev.data.pop, 'p2');
      assert.deepEqual(
        s.events.filter((e) => e.event === 'log').map((e) => e.data.requestId),
        ['n3'],
      );
    } finally {
      await s.close();
    }
  });

  test('metrics merge PoPs: counters summed, errors by class, percentiles from merged histograms', async () => {
    await send('p1', 'metrics', {
      batchId: 'm1',
      points: [fnPoint(T0, { invocations: 10, coldStarts: 1, 'error:LambdaExecutionError': 2 }, [10, 0, 0, 0])],
    });
    await send('p2', 'metrics', {
      batchId: 'm1',
      points: [
        fnPoint(T0 + 10_000, { invocations: 30, throttles: 4, 'error:LambdaValidationError': 1 }, [0, 30, 0, 0]),
      ],
    });
    const dup = await send('p2', 'metrics', {
      batchId: 'm1',
      points: [fnPoint(T0, { invocations: 999 }, [0, 0, 0, 999])],
    });
    assert.equal(dup.body.duplicate, true);
    const r = await t.api('GET', `/metrics?kind=function&name=auth&since=${T0}&until=${T0 + 120_000}&step=1m`);
    assert.equal(r.status, 200);
    assert.equal(r.body.series.length, 1);
    const [p0, p1] = r.body.series[0].points;
    assert.deepEqual(r.body.series[0].labels, { name: 'auth', version: '1' });
    assert.equal(p0.time, T0);
    assert.equal(p0.invocations, 40);
    assert.deepEqual(p0.errors, { LambdaExecutionError: 2, LambdaValidationError: 1 });
    assert.deepEqual([p0.coldStarts, p0.throttles], [1, 4]);
    // 40 observations: 10 at ≤10 ms, 30 in (10, 100]: p50 is the 20th → 10 + 10/30 × 90.
    assert.equal(p0.p50, 40);
    assert.equal(p0.p95, 94);
    assert.deepEqual([p1.invocations, p1.p50], [0, null]);
    const perPop = await t.api(
      'GET',
      `/metrics?kind=function&name=auth&since=${T0}&until=${T0 + 60_000}&step=60s&by=pop`,
    );
    assert.deepEqual(
      perPop.body.series.map((s: { labels: { pop: string }; points: Array<{ p50: number }> }) => [
        s.labels.pop,
        s.points[0]!.p50,
      ]),
      [
        ['p1', 5],
        ['p2', 55],
      ],
    );
    const onlyP2 = await t.api('GET', `/metrics?kind=function&pop=p2&since=${T0}&until=${T0 + 60_000}`);
    assert.equal(onlyP2.body.series[0].points[0].invocations, 30);
    assert.equal((await t.api('GET', '/metrics?step=1ms&since=0')).status, 400);
  });

  test('distribution metrics: requests, bytes, hit ratio, 4xx/5xx rates, origin latency', async () => {
    const point = (counters: Record<string, number>, counts: number[]): MetricPoint => ({
      time: T0,
      intervalMs: 10_000,
      kind: 'distribution',
      labels: { distribution: 'shop' },
      counters,
      histogram: { boundsMs: BOUNDS, counts, sum: 0, count: 0 },
    });
    await send('p1', 'metrics', {
      batchId: 'd1',
      points: [point({ requests: 60, bytes: 6000, hits: 45, misses: 15, status4xx: 6, status5xx: 3 }, [0, 10, 0, 0])],
    });
    await send('p2', 'metrics', {
      batchId: 'd1',
      points: [point({ requests: 40, bytes: 4000, hits: 30, misses: 10, status4xx: 4, status5xx: 2 }, [0, 10, 0, 0])],
    });
    const r = await t.api('GET', `/metrics?kind=distribution&distribution=shop&since=${T0}&until=${T0 + 60_000}`);
    const p = r.body.series[0].points[0];
    assert.deepEqual(r.body.series[0].labels, { distribution: 'shop' });
    assert.deepEqual(
      [p.requests, p.bytes, p.hitRatio, p.rate4xx, p.rate5xx, p.originLatencyP50],
      [100, 10_000, 0.75, 0.1, 0.05, 55],
    );
  });

  test('retention: records and points older than the retention are pruned', async () => {
    assert.ok(((await t.api('GET', '/logs')).body.items as unknown[]).length >= 5);
    clock.advance(30 * 60_000);
    await send('p1', 'logs', { batchId: 'late', records: [rec({ requestId: 'late', time: clock.now() })] });
    await t.control.prune();
    assert.ok(((await t.api('GET', '/logs')).body.items as unknown[]).length > 1, 'nothing is an hour old yet');
    clock.advance(60 * 60_000);
    await t.control.prune();
    assert.deepEqual(
      ((await t.api('GET', '/logs')).body.items as LogRecord[]).map((r) => r.requestId),
      ['late'],
    );
    const m = await t.api('GET', `/metrics?kind=function&since=${T0}&until=${T0 + 60_000}`);
    assert.deepEqual(m.body.series, []);
  });
});
