/**
 * @module test/scenarios/edge-cache-headers
 * Scenario tests for what origin response headers do to the cache: error caching (spec 7.4:
 * 404 cached 10 s, 403 only with max-age, custom errorCachingMinTTL), `Vary` variants with
 * Accept-Encoding normalization (spec 7.2), and `CDN-Cache-Control` / `Surrogate-Control`
 * taking precedence over Cache-Control (RFC 9213), Surrogate-Control not reaching the viewer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/shared/clock.js';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

describe('edge cache: origin headers', () => {
  const clock = new FakeClock();
  let origin: ScriptedOrigin;
  let te: TestEdge;
  const sec = (s: number) => clock.advance(s * 1000);
  before(async () => {
    origin = await startOrigin({
      '/missing': (_r, n) => ({ status: 404, body: `missing-${n}` }),
      '/forbidden': (_r, n) => ({ status: 403, body: `forbidden-${n}` }),
      '/forbidden-ma': (_r, n) => ({ status: 403, headers: { 'cache-control': 'max-age=30' }, body: `fma-${n}` }),
      '/range-error': (_r, n) => ({ status: 416, headers: { 'cache-control': 'max-age=30' }, body: `416-${n}` }),
      '/unavailable': (_r, n) => ({ status: 503, body: `unavail-${n}` }),
      '/vary': (r, n) => ({
        headers: { vary: 'X-Variant', 'cache-control': 'max-age=60' },
        body: `variant-${String(r.headers['x-variant'] ?? 'none')}-${n}`,
      }),
      '/ae': (r, n) => ({
        headers: { vary: 'Accept-Encoding', 'cache-control': 'max-age=60' },
        body: `ae-${String(r.headers['accept-encoding'])}-${n}`,
      }),
      '/cdn-cc': (_r, n) => ({
        headers: { 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=60' },
        body: `cdn-${n}`,
      }),
      '/cdn-short': (_r, n) => ({
        headers: { 'cache-control': 'max-age=600', 'cdn-cache-control': 'max-age=10' },
        body: `short-${n}`,
      }),
      '/surrogate': (_r, n) => ({
        headers: { 'cache-control': 'max-age=5', 'cdn-cache-control': 'no-store', 'surrogate-control': 'max-age=100' },
        body: `sur-${n}`,
      }),
    });
    const policy = {
      minTTL: 0,
      defaultTTL: 100,
      maxTTL: 1000,
      headers: ['X-Variant'],
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    };
    te = await startTestEdge({
      configs: [
        distribution(origin.port, {
          defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: policy },
          customErrorResponses: [{ errorCode: 503, errorCachingMinTTL: 60 }],
        }),
      ],
      clock,
      runtime: nullRuntime,
    });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  test('404 without caching headers is cached for 10 s', async () => {
    const a = await te.get('/missing');
    assert.equal(a.status, 404);
    assert.equal(a.header('x-cache'), 'Error from verge');
    sec(9);
    const b = await te.get('/missing');
    assert.equal(b.text, 'missing-1');
    assert.equal(b.header('x-cache'), 'Error from verge');
    sec(2);
    assert.equal((await te.get('/missing')).text, 'missing-2');
    assert.equal(origin.count('/missing'), 2);
  });

  test('403 is cached only when the origin sends max-age', async () => {
    await te.get('/forbidden');
    assert.equal((await te.get('/forbidden')).text, 'forbidden-2');
    await te.get('/forbidden-ma');
    sec(20);
    assert.equal((await te.get('/forbidden-ma')).text, 'fma-1');
    assert.equal(origin.count('/forbidden-ma'), 1);
  });

  test('416 from the origin is never cached', async () => {
    await te.get('/range-error');
    assert.equal((await te.get('/range-error')).text, '416-2');
  });

  test('a custom errorCachingMinTTL (60 s) holds a 503', async () => {
    await te.get('/unavailable');
    sec(50);
    const r = await te.get('/unavailable');
    assert.equal(r.status, 503);
    assert.equal(r.text, 'unavail-1');
    sec(11);
    assert.equal((await te.get('/unavailable')).text, 'unavail-2');
  });

  test('Vary: two variants are stored side by side', async () => {
    const a1 = await te.get('/vary', { headers: { 'x-variant': 'a' } });
    const b1 = await te.get('/vary', { headers: { 'x-variant': 'b' } });
    const a2 = await te.get('/vary', { headers: { 'x-variant': 'a' } });
    const b2 = await te.get('/vary', { headers: { 'x-variant': 'b' } });
    assert.deepEqual(
      [a1.text, b1.text, a2.text, b2.text],
      ['variant-a-1', 'variant-b-2', 'variant-a-1', 'variant-b-2'],
    );
    assert.deepEqual([a2.header('x-cache'), b2.header('x-cache')], ['Hit from verge', 'Hit from verge']);
    assert.equal(origin.count('/vary'), 2);
  });

  test('Accept-Encoding normalization: "gzip, deflate" and "gzip" share one key; "br, gzip" is another', async () => {
    const a = await te.get('/ae', { headers: { 'accept-encoding': 'gzip, deflate' } });
    const b = await te.get('/ae', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(a.text, 'ae-gzip-1');
    assert.equal(b.text, 'ae-gzip-1');
    assert.equal(b.header('x-cache'), 'Hit from verge');
    const c = await te.get('/ae', { headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(c.header('x-cache'), 'Miss from verge');
    assert.equal(origin.count('/ae'), 2);
  });

  test('CDN-Cache-Control overrides Cache-Control for the edge, both ways', async () => {
    await te.get('/cdn-cc');
    sec(50);
    const r = await te.get('/cdn-cc');
    assert.equal(r.header('x-cache'), 'Hit from verge');
    assert.equal(r.header('cache-control'), 'no-store');
    await te.get('/cdn-short');
    sec(11);
    assert.equal((await te.get('/cdn-short')).header('x-cache'), 'Miss from verge');
    assert.equal(origin.count('/cdn-short'), 2);
  });

  test('Surrogate-Control wins over both, and is not sent to the viewer', async () => {
    const first = await te.get('/surrogate');
    assert.equal(first.header('surrogate-control'), undefined);
    sec(90);
    const r = await te.get('/surrogate');
    assert.equal(r.header('x-cache'), 'Hit from verge');
    assert.equal(r.header('surrogate-control'), undefined);
    assert.equal(r.header('cache-control'), 'max-age=5');
    assert.equal(origin.count('/surrogate'), 1);
  });
});
