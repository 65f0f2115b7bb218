/**
 * @module test/scenarios/edge-cache-corners
 * Scenario tests for the cache's corner cases: the origin's Age header, max-age=0, `Vary: *`
 * (spec 7.4), Vary on a header the edge does not forward (spec 7.10), HEAD on a miss,
 * collapsing of concurrent revalidations, 304 refreshing the stored headers, stale-if-error
 * on an origin timeout, and invalidation surviving a restart of the disk tier.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/shared/clock.js';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

describe('edge cache: corner cases', () => {
  const clock = new FakeClock();
  let origin: ScriptedOrigin;
  let te: TestEdge;
  const sec = (s: number) => clock.advance(s * 1000);
  let hang = false;
  before(async () => {
    origin = await startOrigin({
      '/aged': (_r, n) => ({ headers: { 'cache-control': 'max-age=60', age: '50' }, body: `aged-${n}` }),
      '/zero': (_r, n) => ({ headers: { 'cache-control': 'max-age=0' }, body: `zero-${n}` }),
      '/star': (r, n) => ({
        headers: { vary: '*', etag: '"s"', 'cache-control': 'max-age=60' },
        body: `star-${n}-${r.headers['if-none-match'] ?? 'none'}`,
      }),
      '/vary-ua': (_r, n) => ({ headers: { vary: 'X-Not-Forwarded', 'cache-control': 'max-age=60' }, body: `ua-${n}` }),
      '/head': (_r, n) => ({
        headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain' },
        body: `head-body-${n}`,
      }),
      '/reval': (r, n) =>
        r.headers['if-none-match'] === '"e"'
          ? {
              delayMs: 100,
              status: 304,
              headers: { etag: '"e"', 'cache-control': 'max-age=30', 'x-refreshed': `yes-${n}` },
            }
          : { headers: { etag: '"e"', 'cache-control': 'max-age=10', 'x-refreshed': 'no' }, body: 'reval-body' },
      '/slow-down': (_r, n) =>
        hang ? { hang: true } : { headers: { 'cache-control': 'max-age=10' }, body: `sd-${n}` },
    });
    const d = distribution(origin.port, {
      defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: { minTTL: 0, defaultTTL: 100, maxTTL: 1000 } },
    });
    (d.origins as Array<Record<string, unknown>>)[0]!.readTimeout = 1;
    te = await startTestEdge({ configs: [d], clock, runtime: nullRuntime });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  test("the origin's Age counts against max-age (RFC 9111 4.2.3)", async () => {
    await te.get('/aged');
    sec(5);
    const hit = await te.get('/aged');
    assert.equal(hit.header('x-cache'), 'Hit from verge');
    assert.equal(hit.header('age'), '55');
    sec(6);
    assert.equal((await te.get('/aged')).header('x-cache'), 'Miss from verge');
  });

  test('max-age=0 with minTTL 0: every request goes to the origin', async () => {
    await te.get('/zero');
    const r = await te.get('/zero');
    assert.equal(r.text, 'zero-2');
    assert.equal(origin.count('/zero'), 2);
  });

  test('Vary: * goes to the origin every time, without conditional headers (spec 7.4)', async () => {
    await te.get('/star');
    const r = await te.get('/star');
    assert.equal(r.text, 'star-2-none');
    assert.equal(origin.count('/star'), 2);
  });

  test('Vary on a header the edge does not forward does not split the cache (spec 7.10)', async () => {
    await te.get('/vary-ua', { headers: { 'x-not-forwarded': 'a' } });
    const r = await te.get('/vary-ua', { headers: { 'x-not-forwarded': 'b' } });
    assert.equal(r.header('x-cache'), 'Hit from verge');
    assert.equal(r.header('vary'), undefined, 'the unforwarded name is trimmed from Vary');
    assert.equal(origin.count('/vary-ua'), 1);
  });

  test('HEAD on a miss: no body, the right length, and the GET that follows is a hit', async () => {
    const h = await te.request('/head', { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.body.length, 0);
    assert.equal(h.header('content-length'), String('head-body-1'.length));
    const g = await te.get('/head');
    assert.equal(g.text, 'head-body-1');
    assert.equal(g.header('x-cache'), 'Hit from verge');
    assert.equal(origin.count('/head'), 1);
  });

  test('concurrent requests for an expired object make one conditional request; 304 refreshes headers and TTL', async () => {
    await te.get('/reval');
    sec(11);
    const rs = await Promise.all(Array.from({ length: 8 }, () => te.get('/reval')));
    assert.equal(origin.count('/reval'), 2);
    const classes = rs.map((r) => r.header('x-cache'));
    assert.equal(classes.filter((c) => c === 'RefreshHit from verge').length, 1);
    assert.equal(classes.filter((c) => c === 'Hit from verge').length, 7);
    for (const r of rs) assert.equal(r.text, 'reval-body');
    sec(25); // within the refreshed max-age=30, past the original 10
    const later = await te.get('/reval');
    assert.equal(later.header('x-cache'), 'Hit from verge');
    assert.equal(later.header('x-refreshed'), 'yes-2');
    assert.equal(origin.count('/reval'), 2);
  });

  test('stale served when the origin times out (readTimeout 1)', async () => {
    await te.get('/slow-down');
    sec(20);
    hang = true;
    try {
      const r = await te.get('/slow-down');
      assert.equal(r.status, 200);
      assert.equal(r.text, 'sd-1');
    } finally {
      hang = false;
    }
  });
});

describe('edge cache: invalidation reaches the disk tier', () => {
  const clock = new FakeClock();
  let origin: ScriptedOrigin;
  const dataDir = mkdtempSync(join(tmpdir(), 'verge-data-'));
  before(async () => {
    origin = await startOrigin({
      '*': (r, n) => ({ headers: { 'cache-control': 'max-age=600' }, body: `${r.path}-${n}` }),
    });
  });
  after(async () => {
    await origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('an invalidated object does not come back after a restart; others do', async () => {
    const start = () => startTestEdge({ configs: [distribution(origin.port)], runtime: nullRuntime, clock, dataDir });
    const first = await start();
    try {
      await first.get('/gone');
      await first.get('/kept');
      first.edge.invalidate({ distributionId: 'test', paths: ['/gone'], tags: [] });
    } finally {
      await first.close();
    }
    const second = await start();
    try {
      assert.equal((await second.get('/kept')).header('x-cache'), 'Hit from verge');
      const r = await second.get('/gone');
      assert.equal(r.header('x-cache'), 'Miss from verge');
      assert.equal(r.text, '/gone-2');
    } finally {
      await second.close();
    }
  });

  test('memory evicts but the disk tier still answers without the origin', async () => {
    const te = await startTestEdge({
      configs: [distribution(origin.port)],
      runtime: nullRuntime,
      clock,
      dataDir,
      cacheMaxBytes: 24 * 1024,
    });
    try {
      origin.route('/big', (_r, n) => ({
        headers: { 'cache-control': 'max-age=600' },
        body: Buffer.alloc(10 * 1024, `b${n}`),
      }));
      origin.route('/big2', { headers: { 'cache-control': 'max-age=600' }, body: Buffer.alloc(10 * 1024, 'c') });
      origin.route('/big3', { headers: { 'cache-control': 'max-age=600' }, body: Buffer.alloc(10 * 1024, 'd') });
      for (const p of ['/big', '/big2', '/big3']) await te.get(p);
      const r = await te.get('/big');
      assert.equal(r.header('x-cache'), 'Hit from verge');
      assert.equal(r.body.length, 10 * 1024);
      assert.equal(origin.count('/big'), 1);
    } finally {
      await te.close();
    }
  });
});
