/**
 * Telemetry against the fake control plane: a real edge with the taps wired ships access logs,
 * function console lines and errors, and metric points; an unreachable control plane makes it
 * buffer with a bound (oldest dropped and counted) and resend the same batch id afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { FakeClock } from '../../shared/clock.js';
import { VergeError } from '../../shared/errors.js';
import { compilePlan } from '../config/compile.js';
import { memoryLogger } from '../../shared/log.js';
import type { LogRecord, MetricPoint } from '../../shared/replication/protocol.js';
import { startEdge, type Edge } from '../edge.js';
import { startOrigin, type ScriptedOrigin } from '../../../test/harness/origin.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from './control-client.js';
import { MetricAggregator } from './metrics.js';
import { Telemetry } from './telemetry.js';
import { startFakeControl, type FakeControl } from './testing/fake-control.js';

describe('Telemetry', () => {
  let control: FakeControl;
  let origin: ScriptedOrigin;
  let edge: Edge;
  let telemetry: Telemetry;
  const logger = memoryLogger();

  before(async () => {
    control = await startFakeControl();
    origin = await startOrigin({ '/ok': { headers: { 'cache-control': 'max-age=60' }, body: 'fine' } });
    const dir = mkdtempSync(join(tmpdir(), 'verge-tel-'));
    writeFileSync(
      join(dir, 'fn.js'),
      `exports.handler = async (event) => {
         const req = event.Records[0].cf.request;
         console.log('saw ' + req.uri);
         if (req.uri === '/boom') throw new Error('kaboom');
         return req;
       };`,
    );
    const plan = compilePlan([
      {
        baseDir: dir,
        config: {
          id: 'shop',
          aliases: ['shop.test'],
          origins: [{ id: 'o', domainName: '127.0.0.1', port: origin.port, protocol: 'http' }],
          defaultCacheBehavior: {
            targetOriginId: 'o',
            cachePolicy: 'CachingOptimized',
            functionAssociations: [
              { eventType: 'viewer-request', function: { path: 'fn.js', name: 'logger', version: '7' } },
            ],
          },
        },
      },
    ]);
    const client = new ControlClient({ url: control.url, token: control.token });
    telemetry = new Telemetry({ client, pop: 'p1', logger, flushMs: 50 });
    edge = await startEdge({
      plan,
      host: '127.0.0.1',
      port: 0,
      geo: false,
      accessLog: 'off',
      popId: 'p1',
      logger: telemetry.teeLogger(logger),
      onInvoke: telemetry.onInvoke,
      onAccessLog: telemetry.onAccessLog,
    });
    telemetry.start();
  });
  after(async () => {
    await telemetry.stop();
    await edge.close();
    await control.close();
    await origin.close();
  });

  const get = async (path: string) => {
    const r = await request(edge.url + path, { headers: { host: 'shop.test' } });
    await r.body.text();
    return r.statusCode;
  };
  // The edge sends each record with its PoP (an upload may leave it out: the batch names it).
  const records = (): LogRecord[] => control.logBatches.flatMap((b) => b.records as LogRecord[]);
  const points = (): MetricPoint[] => control.metricBatches.flatMap((b) => b.points);
  const until = async (cond: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.ok(cond(), 'condition not reached in time');
  };

  test('ships access logs, function console lines and function errors, tagged with PoP and request id', async () => {
    assert.equal(await get('/ok'), 200);
    assert.equal(await get('/ok'), 200);
    assert.equal(await get('/boom'), 503);
    await until(
      () =>
        records().filter((r) => r.type === 'access').length >= 3 && records().some((r) => r.type === 'function-error'),
    );
    const access = records().filter((r) => r.type === 'access');
    assert.deepEqual(
      access.map((r) => [r.pop, r.distributionId, r.status]),
      [
        ['p1', 'shop', 200],
        ['p1', 'shop', 200],
        ['p1', 'shop', 503],
      ],
    );
    assert.match(access[0]!.message, /^GET .*\/ok 200 Miss$/);
    assert.equal(access[1]!.fields?.['x-edge-result-type'], 'Hit');
    const lines = records().filter((r) => r.type === 'function');
    assert.deepEqual(
      lines.map((l) => [l.functionName, l.functionVersion, l.eventType, l.message.split('\n')[0]]),
      [
        ['logger', '7', 'viewer-request', 'saw /ok'],
        ['logger', '7', 'viewer-request', 'saw /ok'],
        ['logger', '7', 'viewer-request', 'saw /boom'],
        // Lambda's own line for an unhandled error, as CloudWatch shows it.
        ['logger', '7', 'viewer-request', 'Invoke Error: Error: kaboom'],
      ],
    );
    const err = records().find((r) => r.type === 'function-error')!;
    assert.equal(err.requestId, access[2]!.requestId);
    assert.match(err.message, /kaboom/);
  });

  test('ships metric points per function version and per distribution', async () => {
    await until(() => points().some((p) => p.kind === 'distribution') && points().some((p) => p.kind === 'function'));
    await telemetry.flush();
    const sum = (kind: string, k: string) =>
      points()
        .filter((p) => p.kind === kind)
        .reduce((n, p) => n + (p.counters[k] ?? 0), 0);
    assert.equal(sum('function', 'invocations'), 3);
    assert.equal(sum('function', 'error:LambdaExecutionError'), 1);
    assert.equal(sum('distribution', 'requests'), 3);
    assert.equal(sum('distribution', 'hits'), 1);
    assert.equal(sum('distribution', 'misses'), 1);
    assert.equal(sum('distribution', 'status5xx'), 1);
    const fn = points().find((p) => p.kind === 'function')!;
    assert.deepEqual(fn.labels, { name: 'logger', version: '7', event: 'viewer-request' });
    assert.equal(
      points()
        .filter((p) => p.kind === 'function')
        .reduce((n, p) => n + (p.histogram?.count ?? 0), 0),
      3,
    );
  });

  test('buffers while the control plane fails, then resends the same batch id', async () => {
    const before = control.logBatches.length;
    control.failWith = 503;
    await get('/ok');
    await until(() => telemetry.stats().failedFlushes > 0 && telemetry.stats().buffered > 0);
    const failedBefore = telemetry.stats().failedFlushes;
    await until(() => telemetry.stats().failedFlushes > failedBefore);
    control.failWith = 0;
    await until(() => control.logBatches.length > before && telemetry.stats().buffered === 0);
    const ids = control.logBatches.slice(before).map((b) => b.batchId);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(logger.lines.some((l) => l.msg === 'telemetry not delivered; buffering'));
  });
});

describe('Telemetry buffer bound', () => {
  test('drops the oldest records past maxBuffer and counts them', async () => {
    const sent: string[][] = [];
    let up = false;
    const t = new Telemetry({
      client: {
        logs: async (b) => {
          if (!up) throw new Error('down');
          sent.push(b.records.map((r) => r.requestId));
        },
        metrics: async () => {},
      },
      pop: 'p',
      logger: memoryLogger(),
      maxBuffer: 5,
      maxBatch: 100,
    });
    for (let i = 0; i < 8; i++)
      t.onAccessLog({ 'x-edge-request-id': `r${i}`, 'sc-status': 200, 'distribution-id': 'd' });
    await t.flush();
    assert.equal(t.stats().droppedRecords, 3);
    for (let i = 8; i < 10; i++)
      t.onAccessLog({ 'x-edge-request-id': `r${i}`, 'sc-status': 200, 'distribution-id': 'd' });
    // The unsent batch (r3..r7) holds the oldest records: r8 and r9 push out r3 and r4.
    assert.equal(t.stats().droppedRecords, 5);
    up = true;
    await t.flush();
    assert.deepEqual(sent, [
      ['r5', 'r6', 'r7'],
      ['r8', 'r9'],
    ]);
    assert.equal(t.stats().buffered, 0);
  });
});

describe('Telemetry size bounds', () => {
  const line = (t: Telemetry, i: number, chars: number) =>
    t.teeLogger(memoryLogger()).log('info', `${i}:${'x'.repeat(chars)}`, { type: 'function-log', requestId: `r${i}` });

  test('the backlog is bounded in characters too: 256 K-character lines drop the oldest', async () => {
    const t = new Telemetry({
      client: { logs: () => Promise.reject(new Error('down')), metrics: async () => {} },
      pop: 'p',
      logger: memoryLogger(),
      maxBufferBytes: 1024 * 1024,
    });
    for (let i = 0; i < 40; i++) line(t, i, 256 * 1024);
    await t.flush();
    for (let i = 40; i < 48; i++) line(t, i, 256 * 1024);
    const s = t.stats();
    assert.ok(s.bufferedBytes <= 1024 * 1024, `${s.bufferedBytes} characters held`);
    assert.equal(s.buffered + s.droppedRecords, 48);
    assert.ok(s.buffered >= 3, `${s.buffered} records held`);
  });

  test('batches are cut by characters, and one the control plane refuses (413) is dropped, not resent', async () => {
    const sent: string[][] = [];
    const logger = memoryLogger();
    const t = new Telemetry({
      client: {
        logs: async (b) => {
          const ids = b.records.map((r) => r.requestId);
          if (ids.includes('r1'))
            throw new VergeError('REPLICATION_FAILED', 'POST /logs: HTTP 413', { details: { status: 413 } });
          sent.push(ids);
        },
        metrics: async () => {},
      },
      pop: 'p',
      logger,
      maxBatchBytes: 300 * 1024,
    });
    for (let i = 0; i < 4; i++) line(t, i, 200 * 1024);
    await t.flush();
    // r0+r1 would be 400 K characters: each record is a batch of its own; r1's is refused.
    assert.deepEqual(sent, [['r0'], ['r2'], ['r3']]);
    assert.equal(t.stats().droppedRecords, 1);
    assert.equal(t.stats().buffered, 0);
    assert.ok(logger.lines.some((l) => /refused by the control plane; 1 log records dropped/.test(String(l.msg))));
  });
});

describe('MetricAggregator', () => {
  test('keys points by interval start and labels; drain returns deltas and resets', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 5));
    const m = new MetricAggregator(clock, 10_000);
    m.invocation({
      functionName: 'f',
      functionVersion: '1',
      eventType: 'viewer-request',
      ok: true,
      durationMs: 3,
      coldStart: true,
    });
    m.invocation({
      functionName: 'f',
      functionVersion: '1',
      eventType: 'viewer-request',
      ok: false,
      errorCode: 'LAMBDA_LIMIT_EXCEEDED',
      durationMs: 0.5,
      coldStart: false,
    });
    clock.advance(10_000);
    m.request({ distributionId: 'd', status: 404, bytes: 10, resultType: 'Error', originLatencyMs: 40 });
    const pts = m.drain();
    assert.equal(pts.length, 2);
    const f = pts.find((p) => p.kind === 'function')!;
    assert.equal(f.time, Date.UTC(2026, 0, 1, 0, 0, 0));
    assert.deepEqual(f.counters, {
      invocations: 2,
      coldStarts: 1,
      'error:LambdaLimitExceeded': 1,
      throttles: 1,
    });
    assert.deepEqual(f.histogram!.counts.slice(0, 3), [1, 0, 1]);
    const d = pts.find((p) => p.kind === 'distribution')!;
    assert.equal(d.time, Date.UTC(2026, 0, 1, 0, 0, 10));
    assert.deepEqual(d.counters, { requests: 1, bytes: 10, status4xx: 1, originFetches: 1 });
    assert.equal(m.drain().length, 0);
  });
});
