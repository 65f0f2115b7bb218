/**
 * @module edge/cache/storable.test
 * What may be stored and for how long (spec 7.4 error caching, RFC 9111 3 and 3.5), and
 * RefreshHit updates (RFC 9111 4.3.4), on fake time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { TtlPolicy } from './freshness.js';
import { canServeStaleOnError, freshnessOf } from './freshness.js';
import type { StoreInput } from './storable.js';
import { decideStore, entryFromResponse, refreshEntry } from './storable.js';

const OPTIMIZED: TtlPolicy = { minTTL: 1, defaultTTL: 86400, maxTTL: 31536000 };
const ZERO_MIN: TtlPolicy = { minTTL: 0, defaultTTL: 86400, maxTTL: 31536000 };
const clock = new FakeClock();

function h(pairs: Record<string, string>): CfHeaders {
  const out: CfHeaders = {};
  for (const [k, v] of Object.entries(pairs)) out[k.toLowerCase()] = [{ key: k, value: v }];
  return out;
}
function input(over: Partial<StoreInput> & { hdr?: Record<string, string> } = {}): StoreInput {
  const { hdr, ...rest } = over;
  return {
    key: 'd.verge.local/a',
    distributionId: 'D',
    invalidationPath: '/a',
    method: 'GET',
    status: 200,
    statusText: 'OK',
    headers: h(hdr ?? {}),
    body: Buffer.from('hello'),
    policy: OPTIMIZED,
    requestTime: clock.now(),
    responseTime: clock.now(),
    ...rest,
  };
}
const ttlOf = (i: StoreInput): number | null => entryFromResponse(i)?.ttlMs ?? null;

describe('error caching (spec 7.4)', () => {
  test('404 with no headers is cached for the default 10 s', () => assert.equal(ttlOf(input({ status: 404 })), 10_000));
  test('every always-cached status', () => {
    for (const status of [404, 414, 500, 501, 502, 503, 504])
      assert.equal(ttlOf(input({ status })), 10_000, String(status));
  });
  test('duration is max(ErrorCachingMinTTL, origin max-age capped by maxTTL)', () => {
    assert.equal(ttlOf(input({ status: 404, hdr: { 'Cache-Control': 'max-age=60' } })), 60_000);
    assert.equal(ttlOf(input({ status: 404, hdr: { 'Cache-Control': 'max-age=5' } })), 10_000);
    assert.equal(ttlOf(input({ status: 503, errorCachingMinTTL: 30 })), 30_000);
    assert.equal(
      ttlOf(input({ status: 500, hdr: { 'Cache-Control': 's-maxage=100' }, policy: { ...OPTIMIZED, maxTTL: 50 } })),
      50_000,
    );
  });
  test('400, 403, 405, 412, 415 only with max-age or s-maxage', () => {
    for (const status of [400, 403, 405, 412, 415]) {
      assert.equal(ttlOf(input({ status })), null, `${status} without max-age`);
      assert.equal(ttlOf(input({ status, hdr: { 'Cache-Control': 'max-age=30' } })), 30_000, `${status} with max-age`);
    }
    assert.equal(ttlOf(input({ status: 403, hdr: { 'Cache-Control': 's-maxage=20' } })), 20_000);
  });
  test('416 is never cached; unlisted errors are not cached', () => {
    assert.equal(ttlOf(input({ status: 416, hdr: { 'Cache-Control': 'max-age=300' } })), null);
    assert.equal(ttlOf(input({ status: 401, hdr: { 'Cache-Control': 'max-age=300' } })), null);
    assert.equal(ttlOf(input({ status: 429 })), null);
  });
  test('ErrorCachingMinTTL 0 and no max-age: not stored', () =>
    assert.equal(ttlOf(input({ status: 502, errorCachingMinTTL: 0 })), null));
  test('Expires counts as the origin lifetime of an always-cached error (developer guide)', () => {
    const now = clock.now();
    const date = new Date(now).toUTCString();
    const at = (sec: number): string => new Date(now + sec * 1000).toUTCString();
    assert.equal(ttlOf(input({ status: 404, hdr: { Date: date, Expires: at(120) } })), 120_000);
    assert.equal(ttlOf(input({ status: 500, hdr: { Date: date, Expires: at(5) } })), 10_000);
    // 400-415 still need max-age or s-maxage.
    assert.equal(ttlOf(input({ status: 403, hdr: { Date: date, Expires: at(120) } })), null);
  });
  test('no-store, no-cache, private: 404, 414, 501 not stored; other errors keep the minimum TTL only', () => {
    for (const cc of ['no-store, max-age=600', 'no-cache, max-age=600', 'private, max-age=600']) {
      for (const status of [404, 414, 501]) assert.equal(ttlOf(input({ status, hdr: { 'Cache-Control': cc } })), null);
      for (const status of [500, 502, 503, 504])
        assert.equal(ttlOf(input({ status, hdr: { 'Cache-Control': cc } })), 10_000, `${status} ${cc}`);
      assert.equal(ttlOf(input({ status: 503, errorCachingMinTTL: 0, hdr: { 'Cache-Control': cc } })), null);
    }
  });
});

describe('error caching with ErrorCachingMinTTL 0 is RFC 9111', () => {
  const rfc = (status: number, hdr: Record<string, string>): number | null =>
    ttlOf(input({ status, hdr, errorCachingMinTTL: 0, policy: ZERO_MIN }));
  const date = new Date(clock.now()).toUTCString();
  const past = new Date(clock.now() - 5000_000).toUTCString();
  const lastModified = new Date(clock.now() - 86400_000).toUTCString();
  test('502, 503, 504 with only Last-Modified are not heuristically fresh (RFC 9111 4.2.2)', () => {
    for (const status of [502, 503, 504])
      assert.equal(rfc(status, { Date: date, 'Last-Modified': lastModified }), null, String(status));
  });
  test('an error whose Expires has passed is not stored, so a later request goes to the origin', () => {
    for (const status of [404, 500, 502, 503, 504])
      assert.equal(rfc(status, { Date: date, Expires: past, 'Last-Modified': lastModified }), null, String(status));
  });
  test('an error with explicit freshness is stored for exactly that long', () => {
    for (const status of [404, 500, 502, 503, 504])
      assert.equal(rfc(status, { 'Cache-Control': 'max-age=100000' }), 100_000_000, String(status));
  });
});

describe('stale error responses (RFC 9111 4.2.4, RFC 5861 4)', () => {
  const stored = (status: number, cc: string) =>
    entryFromResponse(input({ status, hdr: { 'Cache-Control': cc }, errorCachingMinTTL: 0, policy: ZERO_MIN }))!;
  test('a stale 404 or 5xx never stands in for a 5xx answer without stale-if-error', () => {
    for (const status of [404, 500, 502, 503, 504]) {
      const e = stored(status, 'max-age=60');
      assert.equal(freshnessOf(e, clock.now() + 61_000), 'stale');
      assert.equal(canServeStaleOnError(e, clock.now() + 61_000, 'error-status'), false, String(status));
    }
  });
  test('an unreachable origin lets a stale error answer (the cache is disconnected)', () => {
    const e = stored(404, 'max-age=60');
    assert.equal(canServeStaleOnError(e, clock.now() + 61_000, 'unreachable'), true);
    const strict = stored(404, 'max-age=60, must-revalidate');
    assert.equal(canServeStaleOnError(strict, clock.now() + 61_000, 'unreachable'), false);
  });
  test('an explicit stale-if-error lets a stale error answer for its window', () => {
    const e = stored(503, 'max-age=60, stale-if-error=300');
    assert.equal(canServeStaleOnError(e, clock.now() + 61_000, 'error-status'), true);
    assert.equal(canServeStaleOnError(e, clock.now() + 361_000, 'error-status'), false);
  });
  test('a stale error is never served while revalidating', () => {
    const e = stored(404, 'max-age=60, stale-while-revalidate=600');
    assert.equal(freshnessOf(e, clock.now() + 61_000), 'stale');
  });
  test('a stale 200 still stands in for a 5xx answer (spec 7.4)', () => {
    const e = stored(200, 'max-age=60');
    assert.equal(canServeStaleOnError(e, clock.now() + 61_000, 'error-status'), true);
  });
});

describe('storability', () => {
  test('200 with max-age is stored with that TTL', () =>
    assert.equal(ttlOf(input({ hdr: { 'Cache-Control': 'max-age=60' } })), 60_000));
  test('no-store / private with minTTL 0 are not stored; with minTTL > 0 they are kept for minTTL', () => {
    assert.equal(ttlOf(input({ policy: ZERO_MIN, hdr: { 'Cache-Control': 'no-store' } })), null);
    assert.equal(ttlOf(input({ policy: ZERO_MIN, hdr: { 'Cache-Control': 'private, max-age=60' } })), null);
    assert.equal(ttlOf(input({ policy: { ...ZERO_MIN, minTTL: 5 }, hdr: { 'Cache-Control': 'no-store' } })), 5_000);
  });
  test('no-cache with minTTL 0 is stored with TTL 0 (always revalidated)', () => {
    const e = entryFromResponse(input({ policy: ZERO_MIN, hdr: { 'Cache-Control': 'no-cache', ETag: '"1"' } }));
    assert.ok(e);
    assert.equal(e.ttlMs, 0);
    assert.equal(freshnessOf(e, clock.now()), 'stale');
  });
  test('methods: GET yes; HEAD, POST no; OPTIONS only when a cached method', () => {
    assert.notEqual(ttlOf(input()), null);
    assert.equal(ttlOf(input({ method: 'HEAD' })), null);
    assert.equal(ttlOf(input({ method: 'POST' })), null);
    assert.equal(ttlOf(input({ method: 'OPTIONS', cachedMethods: new Set(['GET', 'HEAD']) })), null);
    assert.notEqual(ttlOf(input({ method: 'OPTIONS', cachedMethods: new Set(['GET', 'HEAD', 'OPTIONS']) })), null);
  });
  test('CachingDisabled (maxTTL 0) stores nothing', () => {
    assert.equal(
      ttlOf(input({ policy: { minTTL: 0, defaultTTL: 0, maxTTL: 0 }, hdr: { 'Cache-Control': 'max-age=60' } })),
      null,
    );
  });
  test('incomplete bodies are not stored', () => {
    assert.equal(ttlOf(input({ hdr: { 'Content-Length': '10' } })), null);
    assert.notEqual(ttlOf(input({ hdr: { 'Content-Length': '5' } })), null);
    assert.equal(ttlOf(input({ bodyComplete: false })), null);
  });
  test('Authorization: stored only with public, s-maxage or must-revalidate (RFC 9111 3.5)', () => {
    const requestHeaders = h({ Authorization: 'Bearer x' });
    assert.equal(ttlOf(input({ requestHeaders, hdr: { 'Cache-Control': 'max-age=60' } })), null);
    assert.equal(ttlOf(input({ requestHeaders, hdr: { 'Cache-Control': 'public, max-age=60' } })), 60_000);
    assert.equal(ttlOf(input({ requestHeaders, hdr: { 'Cache-Control': 's-maxage=30' } })), 30_000);
    assert.equal(ttlOf(input({ requestHeaders, hdr: { 'Cache-Control': 'must-revalidate, max-age=9' } })), 9_000);
  });
  test('decideStore explains a refusal', () => {
    const d = decideStore(input({ status: 416 }));
    assert.equal(d.store, false);
    assert.match(d.store ? '' : d.reason, /416/);
  });
  test('stored headers lose hop-by-hop fields, Age and edge-only fields; tags are collected', () => {
    const e = entryFromResponse(
      input({
        hdr: {
          'Cache-Control': 'max-age=60',
          Connection: 'x-private',
          'X-Private': '1',
          'Keep-Alive': 'timeout=5',
          Age: '3',
          'Surrogate-Control': 'max-age=120',
          'Surrogate-Key': 'post-1  user-7',
          'Cache-Tag': 'blog, post-1',
          'CDN-Cache-Control': 'max-age=90',
          'X-Kept': 'yes',
        },
      }),
    );
    assert.ok(e);
    assert.deepEqual(Object.keys(e.headers).sort(), ['cache-control', 'cdn-cache-control', 'x-kept']);
    assert.deepEqual(e.tags, ['post-1', 'user-7', 'blog']);
    assert.equal(e.ttlMs, 120_000);
    assert.equal(e.initialAgeSec, 3);
  });
});

describe('refreshEntry (RFC 9111 4.3.4)', () => {
  test('a 304 updates headers and freshness, keeps the body and protected fields', () => {
    const t0 = clock.now();
    const e = entryFromResponse(
      input({
        hdr: { 'Cache-Control': 'max-age=60', ETag: '"a"', 'Content-Length': '5', 'X-Old': '1', 'Surrogate-Key': 'k1' },
      }),
    );
    assert.ok(e);
    const later = t0 + 100_000;
    assert.equal(freshnessOf(e, later), 'stale');
    const r = refreshEntry(e, h({ 'Cache-Control': 'max-age=120', ETag: '"b"', 'Content-Length': '0' }), later, {
      policy: OPTIMIZED,
    });
    assert.equal(r.storedAt, later);
    // A 304 never replaces the stored ETag or Content-Length (RFC 9111 3.2, 4.3.4).
    assert.equal(r.etag, '"a"');
    assert.equal(r.headers['etag']?.[0]?.value, '"a"');
    assert.equal(r.headers['cache-control']?.[0]?.value, 'max-age=120');
    assert.equal(r.headers['content-length']?.[0]?.value, '5');
    assert.equal(r.headers['x-old']?.[0]?.value, '1');
    assert.equal(r.body.toString(), 'hello');
    assert.deepEqual(r.tags, ['k1']);
    assert.equal(freshnessOf(r, later + 119_000), 'fresh');
    assert.equal(freshnessOf(r, later + 121_000), 'stale');
    assert.equal(e.etag, '"a"', 'the stored entry itself is not mutated');
  });
  test("the 304's Age starts the refreshed entry's age", () => {
    const e = entryFromResponse(input({ hdr: { 'Cache-Control': 'max-age=60' } }));
    assert.ok(e);
    const r = refreshEntry(e, h({ Age: '20' }), clock.now() + 70_000, { policy: OPTIMIZED });
    assert.equal(r.initialAgeSec, 20);
    assert.equal(freshnessOf(r, clock.now() + 70_000 + 39_000), 'fresh');
    assert.equal(freshnessOf(r, clock.now() + 70_000 + 41_000), 'stale');
  });
});

describe('call shorthands', () => {
  test('`now` stands for both request and response time', () => {
    const { requestTime: _a, responseTime: _b, ...rest } = input({ hdr: { 'Cache-Control': 'max-age=60', Age: '4' } });
    const e = entryFromResponse({ ...rest, now: clock.now() + 5_000 });
    assert.ok(e);
    assert.equal(e.storedAt, clock.now() + 5_000);
    assert.equal(e.initialAgeSec, 4);
  });
  test('refreshEntry without a policy keeps the previous TTL and restarts the clock', () => {
    const e = entryFromResponse(input({ hdr: { 'Cache-Control': 'max-age=60' } }));
    assert.ok(e);
    const later = clock.now() + 500_000;
    const r = refreshEntry(e, h({ 'Cache-Control': 'max-age=5' }), later);
    assert.equal(r.ttlMs, 60_000);
    assert.equal(freshnessOf(r, later + 59_000), 'fresh');
  });
});
