/**
 * @module edge/cache/freshness.test
 * CloudFront's TTL algorithm (spec 7.4), RFC 9111 freshness and age, RFC 9213 targeting, RFC 5861
 * stale windows. Expected values come from the spec and the RFCs, on fake time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { TtlPolicy } from './freshness.js';
import { ageHeaderValue, canServeStaleOnError, computeTtl, conditionalHeaders, freshnessOf } from './freshness.js';
import { entryFromResponse } from './storable.js';
import { parseCacheControl, parseTargetedField } from './cache-control.js';

const OPTIMIZED: TtlPolicy = { minTTL: 1, defaultTTL: 86400, maxTTL: 31536000 };
const ZERO_MIN: TtlPolicy = { minTTL: 0, defaultTTL: 86400, maxTTL: 31536000 };

function h(pairs: Record<string, string | string[]>): CfHeaders {
  const out: CfHeaders = {};
  for (const [k, v] of Object.entries(pairs))
    out[k.toLowerCase()] = (Array.isArray(v) ? v : [v]).map((value) => ({ key: k, value }));
  return out;
}
const ttl = (headers: Record<string, string | string[]>, policy = OPTIMIZED, now = Date.UTC(2026, 0, 1)): number =>
  computeTtl(h(headers), policy, now).ttlSec;

describe('computeTtl: spec 7.4', () => {
  test('max-age=60 with CachingOptimized gives 60 s', () => assert.equal(ttl({ 'Cache-Control': 'max-age=60' }), 60));
  test('s-maxage wins over max-age', () => assert.equal(ttl({ 'Cache-Control': 's-maxage=10, max-age=60' }), 10));
  test('no-cache with minTTL 0 gives 0 (always revalidate)', () =>
    assert.equal(ttl({ 'Cache-Control': 'no-cache' }, ZERO_MIN), 0));
  test('no-store / private give minTTL', () => {
    assert.equal(ttl({ 'Cache-Control': 'no-store, max-age=600' }, { ...OPTIMIZED, minTTL: 5 }), 5);
    assert.equal(ttl({ 'Cache-Control': 'private, max-age=600' }, { ...OPTIMIZED, minTTL: 7 }), 7);
  });
  test('nothing given: default TTL', () => assert.equal(ttl({}), 86400));
  test('default below minTTL is raised to minTTL', () =>
    assert.equal(ttl({}, { minTTL: 50, defaultTTL: 10, maxTTL: 100 }), 50));
  test('clamped to [minTTL, maxTTL]', () => {
    assert.equal(ttl({ 'Cache-Control': 'max-age=999999999' }), 31536000);
    assert.equal(ttl({ 'Cache-Control': 'max-age=0' }), 1);
  });
  test('Expires in the past gives minTTL', () => {
    const now = Date.UTC(2026, 0, 1);
    assert.equal(
      ttl({ Date: new Date(now).toUTCString(), Expires: new Date(now - 3600_000).toUTCString() }, OPTIMIZED, now),
      1,
    );
  });
  test('Expires is relative to Date (RFC 9111 4.2.1)', () => {
    const now = Date.UTC(2026, 0, 1);
    const date = now - 100_000;
    assert.equal(
      ttl({ Date: new Date(date).toUTCString(), Expires: new Date(date + 300_000).toUTCString() }, ZERO_MIN, now),
      300,
    );
  });
  test('invalid Expires ("0") means already expired (RFC 9111 5.3)', () =>
    assert.equal(ttl({ Expires: '0' }, ZERO_MIN), 0));
  test('an Expires that is not one HTTP-date means already expired (RFC 9111 5.3, RFC 9110 5.6.7)', () => {
    const now = Date.UTC(2026, 6, 1);
    const date = new Date(now).toUTCString();
    for (const expires of [
      'Thu, 18 Aug 2050 02:01:18 UTC',
      'Thu, 18 Aug 2050 02:01:18 AEST',
      'Thu, 18 Aug 50 02:01:18 GMT',
      'Thu 18 Aug 2050 02:01:18 GMT',
      'Thu, 18  Aug  2050 02:01:18 GMT',
      'Thu, 18-Aug-2050 02:01:18 GMT',
      'Thu, 18 Aug 2050 02.01.18 GMT',
      'Thu, 18 Aug 2050 2:01:18 GMT',
      ['Thu, 18 Aug 2050 02:01:18 GMT', 'Thu, 18 Aug 2050 02:01:19 GMT'],
    ]) {
      assert.equal(ttl({ Date: date, Expires: expires }, ZERO_MIN, now), 0, JSON.stringify(expires));
    }
  });
  test('the obsolete forms and another case of names are valid Expires values', () => {
    const now = Date.UTC(2026, 6, 1);
    const date = new Date(now).toUTCString();
    const want = Math.floor((Date.UTC(2050, 7, 18, 2, 1, 18) - now) / 1000);
    for (const expires of [
      'Thursday, 18-Aug-50 02:01:18 GMT',
      'Thu Aug 18 02:01:18 2050',
      'THU, 18 AUG 2050 02:01:18 gmt',
    ]) {
      assert.equal(ttl({ Date: date, Expires: expires }, { ...ZERO_MIN, maxTTL: 2 ** 31 }, now), want, expires);
    }
  });
  test('an invalid or repeated Date is replaced by the response time', () => {
    const now = Date.UTC(2026, 6, 1);
    const expires = new Date(now + 600_000).toUTCString();
    assert.equal(ttl({ Date: 'Wed, 01 Jul 2026 00:00:00 UTC', Expires: expires }, ZERO_MIN, now), 600);
    const early = new Date(now - 300_000).toUTCString();
    assert.equal(ttl({ Date: [early, early], Expires: expires }, ZERO_MIN, now), 600);
    assert.equal(ttl({ Date: early, Expires: expires }, ZERO_MIN, now), 900);
  });
  test('max-age wins over Expires', () => {
    const now = Date.UTC(2026, 0, 1);
    assert.equal(
      ttl({ 'Cache-Control': 'max-age=60', Expires: new Date(now + 3600_000).toUTCString() }, ZERO_MIN, now),
      60,
    );
  });
  test('parsing: case, quotes, several lines, duplicates, invalid numbers', () => {
    assert.equal(ttl({ 'Cache-Control': 'Public, MAX-AGE=60' }), 60);
    assert.equal(ttl({ 'Cache-Control': 'max-age="60"' }), 60);
    assert.equal(ttl({ 'Cache-Control': ['public', 'max-age=45'] }), 45);
    assert.equal(ttl({ 'Cache-Control': 'max-age=60, max-age=120' }, ZERO_MIN), 0, 'conflicting duplicates are stale');
    assert.equal(ttl({ 'Cache-Control': 'max-age=60, max-age=60' }, ZERO_MIN), 60);
    assert.equal(ttl({ 'Cache-Control': 'max-age=abc' }, ZERO_MIN), 0);
    assert.equal(ttl({ 'Cache-Control': 'max-age=-5' }, ZERO_MIN), 0);
    assert.equal(
      ttl({ 'Cache-Control': 'max-age=99999999999999' }, { minTTL: 0, defaultTTL: 0, maxTTL: 1e12 }),
      2147483648,
    );
  });
  test('a quoted value may contain commas', () => {
    const d = parseCacheControl('private="set-cookie, x-a", max-age=30');
    assert.equal(d.get('private'), 'set-cookie, x-a');
    assert.equal(d.get('max-age'), '30');
  });
});

describe('computeTtl: targeted fields', () => {
  test('CDN-Cache-Control overrides Cache-Control (RFC 9213 3 example)', () => {
    assert.equal(ttl({ 'Cache-Control': 'max-age=60, s-maxage=120', 'CDN-Cache-Control': 'max-age=600' }), 600);
  });
  test('CDN-Cache-Control max-age with Cache-Control no-store: the CDN still caches', () => {
    assert.equal(ttl({ 'Cache-Control': 'no-store', 'CDN-Cache-Control': 'max-age=600' }, ZERO_MIN), 600);
  });
  test('"CDN-Cache-Control: none" makes Cache-Control and Expires ignored', () => {
    const d = computeTtl(h({ 'Cache-Control': 'no-store', 'CDN-Cache-Control': 'none' }), ZERO_MIN, 0);
    assert.equal(d.noStore, false);
    assert.equal(d.ttlSec, 86400);
  });
  test('an unparsable CDN-Cache-Control is ignored (uppercase key, trailing comma)', () => {
    assert.equal(ttl({ 'Cache-Control': 'max-age=60', 'CDN-Cache-Control': 'Max-Age=600' }), 60);
    assert.equal(ttl({ 'Cache-Control': 'max-age=60', 'CDN-Cache-Control': 'max-age=600,' }), 60);
    assert.equal(parseTargetedField(''), undefined);
  });
  test('a decimal max-age in a targeted field is not consumed', () => {
    assert.equal(parseTargetedField('max-age=1.5, public')?.has('max-age'), false);
    assert.equal(parseTargetedField('max-age=10;foo=bar, no-cache="a"')?.get('no-cache'), 'a');
  });
  test('Surrogate-Control max-age beats both; targeted directives for other devices are skipped', () => {
    assert.equal(
      ttl({ 'Cache-Control': 'max-age=60', 'CDN-Cache-Control': 'max-age=600', 'Surrogate-Control': 'max-age=300' }),
      300,
    );
    assert.equal(ttl({ 'Cache-Control': 'max-age=60', 'Surrogate-Control': 'max-age=300;other-device' }), 60);
    assert.equal(ttl({ 'Surrogate-Control': 'max-age=30+60, content="ESI/1.0"' }), 30);
  });
});

describe('freshness and age', () => {
  const clock = new FakeClock();
  function entry(headers: Record<string, string | string[]>, policy = OPTIMIZED, requestTime = clock.now()) {
    const e = entryFromResponse({
      key: 'k',
      distributionId: 'D',
      invalidationPath: '/a',
      method: 'GET',
      status: 200,
      statusText: 'OK',
      headers: h(headers),
      body: Buffer.from('x'),
      policy,
      requestTime,
      responseTime: clock.now(),
    });
    assert.ok(e);
    return e;
  }

  test('fresh until max-age, then stale', () => {
    const e = entry({ 'Cache-Control': 'max-age=60' });
    assert.equal(freshnessOf(e, clock.now() + 59_999), 'fresh');
    assert.equal(freshnessOf(e, clock.now() + 60_000), 'stale');
  });
  test('stale-while-revalidate window (RFC 5861 3)', () => {
    const e = entry({ 'Cache-Control': 'max-age=60, stale-while-revalidate=30' });
    assert.equal(freshnessOf(e, clock.now() + 61_000), 'stale-while-revalidate');
    assert.equal(freshnessOf(e, clock.now() + 91_000), 'stale');
  });
  test('must-revalidate and proxy-revalidate disable stale serving', () => {
    for (const cc of ['max-age=60, stale-while-revalidate=30, must-revalidate', 'max-age=60, proxy-revalidate']) {
      const e = entry({ 'Cache-Control': cc });
      assert.equal(freshnessOf(e, clock.now() + 61_000), 'stale');
      assert.equal(canServeStaleOnError(e, clock.now() + 61_000), false);
    }
  });
  test('stale-if-error: unlimited by default (CloudFront), bounded when given', () => {
    const e = entry({ 'Cache-Control': 'max-age=60' });
    assert.equal(canServeStaleOnError(e, clock.now() + 365 * 86400_000), true);
    const b = entry({ 'Cache-Control': 'max-age=60, stale-if-error=100' });
    assert.equal(canServeStaleOnError(b, clock.now() + 159_000), true);
    assert.equal(canServeStaleOnError(b, clock.now() + 161_000), false);
    const z = entry({ 'Cache-Control': 'no-cache, stale-if-error=0' }, ZERO_MIN);
    assert.equal(canServeStaleOnError(z, clock.now() + 1), false);
  });
  test("origin's Age counts against max-age (RFC 9111 4.2.3)", () => {
    const e = entry({ 'Cache-Control': 'max-age=60', Age: '50' });
    assert.equal(freshnessOf(e, clock.now() + 9_000), 'fresh');
    assert.equal(freshnessOf(e, clock.now() + 11_000), 'stale');
    assert.equal(ageHeaderValue(e, clock.now() + 5_000), '55');
  });
  test('response delay and apparent age (RFC 9111 4.2.3)', () => {
    const delayed = entry({ 'Cache-Control': 'max-age=60' }, OPTIMIZED, clock.now() - 2_000);
    assert.equal(delayed.initialAgeSec, 2);
    const old = entry({ 'Cache-Control': 'max-age=60', Date: new Date(clock.now() - 30_000).toUTCString() });
    assert.equal(old.initialAgeSec, 30);
    assert.equal(freshnessOf(old, clock.now() + 29_000), 'fresh');
    assert.equal(freshnessOf(old, clock.now() + 31_000), 'stale');
  });
  test('Vary: * is never reused and revalidates without validators', () => {
    const e = entry({ 'Cache-Control': 'max-age=600', Vary: 'Accept, *', ETag: '"a"' });
    assert.deepEqual(e.vary, ['*']);
    assert.equal(freshnessOf(e, clock.now()), 'stale');
    assert.deepEqual(conditionalHeaders(e), {});
  });
  test('conditional headers from ETag and Last-Modified (RFC 9111 4.3.1)', () => {
    const e = entry({ 'Cache-Control': 'max-age=60', ETag: '"v1"', 'Last-Modified': 'Wed, 31 Dec 2025 00:00:00 GMT' });
    const c = conditionalHeaders(e);
    assert.equal(c['if-none-match']?.[0]?.value, '"v1"');
    assert.equal(c['if-modified-since']?.[0]?.value, 'Wed, 31 Dec 2025 00:00:00 GMT');
  });
  test('an Age that is not a non-negative integer is ignored (RFC 9111 5.1)', () => {
    for (const age of ['abc', '-7200', '7200.0', '7200;foo=bar', '', '+5']) {
      const e = entry({ 'Cache-Control': 'max-age=3600', Age: age });
      assert.equal(e.initialAgeSec, 0, `Age ${JSON.stringify(age)}`);
      assert.equal(freshnessOf(e, clock.now()), 'fresh', `Age ${JSON.stringify(age)}`);
    }
    const ok = entry({ 'Cache-Control': 'max-age=3600', Age: ' 100 ' });
    assert.equal(ok.initialAgeSec, 100);
    assert.equal(freshnessOf(ok, clock.now()), 'fresh');
  });
  test('with a list or several Age lines the first member counts (RFC 9111 5.1)', () => {
    const cases: Array<[string | string[], 'fresh' | 'stale']> = [
      ['0, 7200', 'fresh'],
      ['0,7200', 'fresh'],
      ['0, 0', 'fresh'],
      ['7200, 0', 'stale'],
      [['0', '7200'], 'fresh'],
      [['0', '0'], 'fresh'],
      [['7200', '0'], 'stale'],
      [['abc', '7200'], 'fresh'],
    ];
    for (const [age, want] of cases) {
      const e = entry({ 'Cache-Control': 'max-age=3600', Age: age });
      assert.equal(freshnessOf(e, clock.now()), want, `Age ${JSON.stringify(age)}`);
    }
    const twice = entry({ 'Cache-Control': 'max-age=10000', Age: ['3600', '3600'] });
    assert.equal(twice.initialAgeSec, 3600);
  });
  test('Age of 2^31 - 1 and above is stale; above 2^31 is taken as 2^31 (RFC 9111 1.2.2)', () => {
    for (const age of ['2147483647', '2147483648', '2147483649', '99999999999999999999']) {
      const e = entry({ 'Cache-Control': 'max-age=3600', Age: age });
      assert.equal(freshnessOf(e, clock.now()), 'stale', `Age ${age}`);
      assert.ok(e.initialAgeSec <= 2147483648);
    }
  });
  test('s-maxage forbids stale on error unless stale-if-error is explicit (RFC 9111 5.2.2.10)', () => {
    const e = entry({ 'Cache-Control': 'max-age=2, s-maxage=2' });
    assert.equal(canServeStaleOnError(e, clock.now() + 3_000), false);
    const x = entry({ 'Cache-Control': 's-maxage=2, stale-if-error=60' });
    assert.equal(canServeStaleOnError(x, clock.now() + 3_000), true);
    assert.equal(canServeStaleOnError(x, clock.now() + 63_000), false);
  });
  test('no-cache: no stale on error with minTTL 0 (RFC 9111 5.2.2.4); kept for minTTL > 0 (spec 7.4)', () => {
    const z = entry({ 'Cache-Control': 'max-age=2, no-cache' }, ZERO_MIN);
    assert.equal(canServeStaleOnError(z, clock.now() + 3_000), false);
    const m = entry({ 'Cache-Control': 'no-cache' }, OPTIMIZED);
    assert.equal(canServeStaleOnError(m, clock.now() + 3_000), true);
  });
  test('qualified no-cache is not no-cache: the response is reused without the named fields', () => {
    const d = computeTtl(h({ 'Cache-Control': 'no-cache="A, b", max-age=3600' }), ZERO_MIN, clock.now());
    assert.equal(d.noCache, false);
    assert.deepEqual(d.noCacheFields, ['a', 'b']);
    assert.equal(d.ttlSec, 3600);
    const e = entry({ 'Cache-Control': ['no-cache="a, b"', 'max-age=3600'], A: '1', B: '2', C: '3' }, ZERO_MIN);
    assert.equal(e.headers['a'], undefined);
    assert.equal(e.headers['b'], undefined);
    assert.equal(e.headers['c']?.[0]?.value, '3');
    assert.equal(freshnessOf(e, clock.now() + 1000), 'fresh');
    assert.equal(computeTtl(h({ 'Cache-Control': 'no-cache, max-age=60' }), ZERO_MIN, clock.now()).ttlSec, 0);
  });
  test("Surrogate-Control directives targeted at Verge's device token win", () => {
    assert.equal(ttl({ 'Cache-Control': 'no-store', 'Surrogate-Control': 'max-age=10000;verge' }, ZERO_MIN), 10000);
    assert.equal(ttl({ 'Surrogate-Control': 'max-age=60, max-age=300;verge' }, ZERO_MIN), 300);
    assert.equal(ttl({ 'Surrogate-Control': 'max-age=60, max-age=300;other' }, ZERO_MIN), 60);
    assert.equal(computeTtl(h({ 'Surrogate-Control': 'max-age=60, no-store;verge' }), ZERO_MIN, 0).noStore, true);
  });
});
