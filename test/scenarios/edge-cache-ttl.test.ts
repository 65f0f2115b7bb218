/**
 * @module test/scenarios/edge-cache-ttl
 * Scenario tests for the cache's freshness through a real edge: Hit/Miss/X-Cache/Age, the
 * min/default/max TTL algorithm of spec 7.4 (s-maxage, max-age, Expires, default TTL, clamping),
 * expiry on fake time, revalidation (RefreshHit), 304 to conditional viewers and Range from a
 * cached full object. Time only moves through FakeClock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/shared/clock.js';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin, type ScriptedResponse } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

const policy = { minTTL: 5, defaultTTL: 100, maxTTL: 1000, queryStrings: 'all' };

describe('edge cache: freshness and TTLs (spec 7.4)', () => {
  const clock = new FakeClock();
  let origin: ScriptedOrigin;
  let te: TestEdge;
  const sec = (s: number) => clock.advance(s * 1000);

  before(async () => {
    origin = await startOrigin({
      '/plain': { body: 'plain' },
      '/max-age': { headers: { 'cache-control': 'max-age=30' }, body: 'ma' },
      '/s-maxage': { headers: { 'cache-control': 's-maxage=20, max-age=300' }, body: 'sm' },
      '/big': { headers: { 'cache-control': 'max-age=99999' }, body: 'big' },
      '/small': { headers: { 'cache-control': 'max-age=1' }, body: 'small' },
      '/no-cache': { headers: { 'cache-control': 'no-cache' }, body: 'nc' },
      '/expires': () => ({
        headers: { date: new Date(clock.now()).toUTCString(), expires: new Date(clock.now() + 40_000).toUTCString() },
        body: 'ex',
      }),
      '/both': () => ({
        headers: { 'cache-control': 'max-age=10', expires: new Date(clock.now() + 500_000).toUTCString() },
        body: 'both',
      }),
      '/etag': (_r, n) => ({ headers: { 'cache-control': 'max-age=10', etag: '"v1"' }, body: `etag-${n}` }),
      '/reval': (r) =>
        r.headers['if-none-match'] === '"r1"'
          ? { status: 304, headers: { 'cache-control': 'max-age=10', etag: '"r1"' } }
          : { headers: { 'cache-control': 'max-age=10', etag: '"r1"' }, body: 'reval-body' },
      '/lm': (r): ScriptedResponse =>
        r.headers['if-modified-since']
          ? { status: 304, headers: { 'cache-control': 'max-age=10' } }
          : {
              headers: { 'cache-control': 'max-age=10', 'last-modified': 'Wed, 01 Oct 2025 00:00:00 GMT' },
              body: 'lm-body',
            },
      '/changed': (_r, n) => ({ headers: { 'cache-control': 'max-age=10', etag: `"c${n}"` }, body: `changed-${n}` }),
      '/range': { headers: { 'cache-control': 'max-age=60', etag: '"rg"' }, body: '0123456789abcdefghij' },
    });
    te = await startTestEdge({
      configs: [distribution(origin.port, { defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: policy } })],
      clock,
      runtime: nullRuntime,
    });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  test('a miss then a hit, with X-Cache and Age', async () => {
    const a = await te.get('/max-age');
    assert.equal(a.status, 200);
    assert.equal(a.header('x-cache'), 'Miss from verge');
    assert.equal(a.header('age'), undefined);
    sec(7);
    const b = await te.get('/max-age');
    assert.equal(b.text, 'ma');
    assert.equal(b.header('x-cache'), 'Hit from verge');
    assert.equal(b.header('age'), '7');
    assert.equal(origin.count('/max-age'), 1);
    assert.ok(b.header('via')?.includes('verge'));
  });

  test('max-age expires on time: fresh at 29 s, refetched at 31 s', async () => {
    await te.get('/max-age?t=2');
    sec(29);
    assert.equal((await te.get('/max-age?t=2')).header('x-cache'), 'Hit from verge');
    sec(2);
    assert.equal((await te.get('/max-age?t=2')).header('x-cache'), 'Miss from verge');
    assert.equal(origin.requests.filter((r) => r.url === '/max-age?t=2').length, 2);
  });

  test('s-maxage wins over max-age', async () => {
    await te.get('/s-maxage');
    sec(19);
    assert.equal((await te.get('/s-maxage')).header('x-cache'), 'Hit from verge');
    sec(2);
    assert.equal((await te.get('/s-maxage')).header('x-cache'), 'Miss from verge');
    assert.equal(origin.count('/s-maxage'), 2);
  });

  test('no caching headers: the default TTL (100 s)', async () => {
    await te.get('/plain');
    sec(99);
    assert.equal((await te.get('/plain')).header('x-cache'), 'Hit from verge');
    sec(2);
    assert.equal((await te.get('/plain')).header('x-cache'), 'Miss from verge');
    assert.equal(origin.count('/plain'), 2);
  });

  test('max-age above maxTTL is clamped to maxTTL (1000 s)', async () => {
    await te.get('/big');
    sec(999);
    assert.equal((await te.get('/big')).header('x-cache'), 'Hit from verge');
    sec(2);
    assert.equal((await te.get('/big')).header('x-cache'), 'Miss from verge');
  });

  test('max-age below minTTL is raised to minTTL (5 s)', async () => {
    await te.get('/small');
    sec(4);
    assert.equal((await te.get('/small')).header('x-cache'), 'Hit from verge');
    sec(2);
    assert.equal((await te.get('/small')).header('x-cache'), 'Miss from verge');
  });

  test('no-cache gets minTTL (5 s) rather than being refetched every time', async () => {
    await te.get('/no-cache');
    sec(3);
    assert.equal((await te.get('/no-cache')).header('x-cache'), 'Hit from verge');
    sec(3);
    assert.equal((await te.get('/no-cache')).header('x-cache'), 'Miss from verge');
  });

  test('Expires gives the lifetime when there is no max-age', async () => {
    await te.get('/expires');
    sec(39);
    assert.equal((await te.get('/expires')).header('x-cache'), 'Hit from verge');
    sec(2);
    assert.equal((await te.get('/expires')).header('x-cache'), 'Miss from verge');
  });

  test('max-age wins over Expires', async () => {
    await te.get('/both');
    sec(11);
    assert.equal((await te.get('/both')).header('x-cache'), 'Miss from verge');
    assert.equal(origin.count('/both'), 2);
  });

  test('expired with an ETag: conditional request, 304 → RefreshHit, then fresh again', async () => {
    const first = await te.get('/reval');
    assert.equal(first.header('x-cache'), 'Miss from verge');
    sec(11);
    const r = await te.get('/reval');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'reval-body');
    assert.equal(r.header('x-cache'), 'RefreshHit from verge');
    assert.equal(origin.count('/reval'), 2);
    assert.equal(origin.requests.filter((q) => q.path === '/reval')[1]!.headers['if-none-match'], '"r1"');
    sec(5);
    assert.equal((await te.get('/reval')).header('x-cache'), 'Hit from verge');
    assert.equal(origin.count('/reval'), 2);
  });

  test('expired with Last-Modified: If-Modified-Since to the origin, RefreshHit', async () => {
    await te.get('/lm');
    sec(11);
    const r = await te.get('/lm');
    assert.equal(r.header('x-cache'), 'RefreshHit from verge');
    assert.equal(r.text, 'lm-body');
    const cond = origin.requests.filter((q) => q.path === '/lm')[1]!;
    assert.equal(cond.headers['if-modified-since'], 'Wed, 01 Oct 2025 00:00:00 GMT');
  });

  test('expired and changed at the origin (200 to the conditional request): Miss with the new body', async () => {
    assert.equal((await te.get('/changed')).text, 'changed-1');
    sec(11);
    const r = await te.get('/changed');
    assert.equal(r.text, 'changed-2');
    assert.equal(r.header('x-cache'), 'Miss from verge');
    assert.equal((await te.get('/changed')).header('x-cache'), 'Hit from verge');
  });

  test('viewer If-None-Match / If-Modified-Since against a cached object → 304 without the origin', async () => {
    await te.get('/etag');
    const n = origin.count('/etag');
    const r = await te.get('/etag', { headers: { 'if-none-match': '"v1"' } });
    assert.equal(r.status, 304);
    assert.equal(r.body.length, 0);
    assert.equal(r.header('etag'), '"v1"');
    const other = await te.get('/etag', { headers: { 'if-none-match': '"nope"' } });
    assert.equal(other.status, 200);
    await te.get('/lm?x');
    const ims = await te.get('/lm?x', { headers: { 'if-modified-since': 'Thu, 02 Oct 2025 00:00:00 GMT' } });
    assert.equal(ims.status, 304);
    const older = await te.get('/lm?x', { headers: { 'if-modified-since': 'Tue, 30 Sep 2025 00:00:00 GMT' } });
    assert.equal(older.status, 200);
    assert.equal(origin.count('/etag'), n);
  });

  test('Range from a cached full object: 206 with Content-Range, 416, one origin fetch', async () => {
    const r = await te.get('/range', { headers: { range: 'bytes=2-5' } });
    assert.equal(r.status, 206);
    assert.equal(r.text, '2345');
    assert.equal(r.header('content-range'), 'bytes 2-5/20');
    const tail = await te.get('/range', { headers: { range: 'bytes=-3' } });
    assert.equal(tail.status, 206);
    assert.equal(tail.text, 'hij');
    assert.equal(tail.header('x-cache'), 'Hit from verge');
    const bad = await te.get('/range', { headers: { range: 'bytes=50-60' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.header('content-range'), 'bytes */20');
    const full = await te.get('/range');
    assert.equal(full.status, 200);
    assert.equal(full.text, '0123456789abcdefghij');
    assert.equal(origin.count('/range'), 1);
    assert.equal(origin.requests.find((q) => q.path === '/range')!.headers.range, undefined);
  });
});
