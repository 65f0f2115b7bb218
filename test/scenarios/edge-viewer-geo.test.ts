/**
 * @module test/scenarios/edge-viewer-geo
 * Geolocation and device headers (spec 3.3): a `geoOverrides` file maps 127.0.0.0/8 to Paris;
 * the origin receives exactly the CloudFront-Viewer-* and CloudFront-Is-*-Viewer headers a cache
 * policy or origin request policy names, with the right values, and none where no policy names
 * them. A viewer's spoofed CloudFront-Viewer-Country is overwritten. Headers in a cache policy
 * split the cache (iPhone and desktop viewers get separate objects).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const DESKTOP =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

const GEO_HEADERS = [
  'CloudFront-Viewer-Country',
  'CloudFront-Viewer-Country-Name',
  'CloudFront-Viewer-Country-Region',
  'CloudFront-Viewer-Country-Region-Name',
  'CloudFront-Viewer-City',
  'CloudFront-Viewer-Postal-Code',
  'CloudFront-Viewer-Time-Zone',
  'CloudFront-Viewer-Latitude',
  'CloudFront-Viewer-Longitude',
];
const DEVICE_HEADERS = [
  'CloudFront-Is-Mobile-Viewer',
  'CloudFront-Is-Desktop-Viewer',
  'CloudFront-Is-IOS-Viewer',
  'CloudFront-Is-Android-Viewer',
  'CloudFront-Is-Tablet-Viewer',
  'CloudFront-Is-SmartTV-Viewer',
];

let origin: ScriptedOrigin;
let te: TestEdge;
let dir: string;
const orp = (name: string, list: string[]) => ({
  name,
  headers: { whitelist: list },
  cookies: 'none',
  queryStrings: 'none',
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verge-geo-'));
  const overrides = join(dir, 'geo.json');
  writeFileSync(
    overrides,
    JSON.stringify({
      '127.0.0.0/8': {
        countryCode: 'FR',
        countryName: 'France',
        regionCode: 'IDF',
        regionName: 'Île-de-France',
        city: 'Paris',
        postalCode: '75001',
        timeZone: 'Europe/Paris',
        latitude: 48.8566,
        longitude: 2.3522,
      },
    }),
  );
  origin = await startOrigin({
    '*': (req) => ({ headers: { 'cache-control': 'max-age=600' }, body: `at ${req.path}` }),
  });
  te = await startTestEdge({
    geoOverrides: overrides,
    configs: [
      distribution(origin.port, {
        cacheBehaviors: [
          {
            pathPattern: '/geo/*',
            targetOriginId: 'o1',
            cachePolicy: 'CachingDisabled',
            originRequestPolicy: orp('geo', GEO_HEADERS),
          },
          {
            pathPattern: '/device/*',
            targetOriginId: 'o1',
            cachePolicy: 'CachingDisabled',
            originRequestPolicy: orp('dev', DEVICE_HEADERS),
          },
          {
            pathPattern: '/key/*',
            targetOriginId: 'o1',
            cachePolicy: {
              name: 'by-country-device',
              minTTL: 0,
              defaultTTL: 60,
              maxTTL: 600,
              headers: ['CloudFront-Viewer-Country', 'CloudFront-Is-Mobile-Viewer'],
            },
          },
          {
            pathPattern: '/all/*',
            targetOriginId: 'o1',
            cachePolicy: 'CachingDisabled',
            originRequestPolicy: 'AllViewer',
          },
          {
            pathPattern: '/conn/*',
            targetOriginId: 'o1',
            cachePolicy: 'CachingDisabled',
            originRequestPolicy: orp('conn', [
              'CloudFront-Viewer-Address',
              'CloudFront-Viewer-Header-Count',
              'CloudFront-Viewer-Header-Order',
            ]),
          },
        ],
      }),
    ],
  });
});

after(async () => {
  await te.close();
  await origin.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The CloudFront-* headers the origin received for the last request to `path`. */
function cfHeadersAt(path: string): Record<string, string> {
  const seen = origin.requests.filter((q) => q.path === path);
  assert.ok(seen.length > 0, `the origin saw ${path}`);
  const h: IncomingHttpHeaders = seen[seen.length - 1]!.headers;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('cloudfront-')) out[k] = String(v);
  return out;
}

describe('geolocation headers from an overridden range', () => {
  test('the origin receives exactly the named geo headers with the override values', async () => {
    const r = await te.get('/geo/a', { headers: { 'user-agent': IPHONE } });
    assert.equal(r.status, 200);
    assert.deepEqual(cfHeadersAt('/geo/a'), {
      'cloudfront-viewer-country': 'FR',
      'cloudfront-viewer-country-name': 'France',
      'cloudfront-viewer-country-region': 'IDF',
      // Non-ASCII values are percent-encoded (spec 3.3).
      'cloudfront-viewer-country-region-name': '%C3%8Ele-de-France',
      'cloudfront-viewer-city': 'Paris',
      'cloudfront-viewer-postal-code': '75001',
      'cloudfront-viewer-time-zone': 'Europe/Paris',
      'cloudfront-viewer-latitude': '48.85660',
      'cloudfront-viewer-longitude': '2.35220',
    });
  });

  test("a viewer's spoofed CloudFront-Viewer-Country is overwritten", async () => {
    await te.get('/geo/spoof', { headers: { 'CloudFront-Viewer-Country': 'US', 'CloudFront-Viewer-City': 'Nowhere' } });
    const h = cfHeadersAt('/geo/spoof');
    assert.equal(h['cloudfront-viewer-country'], 'FR');
    assert.equal(h['cloudfront-viewer-city'], 'Paris');
    const raw = origin.requests.filter((q) => q.path === '/geo/spoof')[0]!.rawHeaders;
    const countries = raw.filter((_, i) => i % 2 === 0 && raw[i]!.toLowerCase() === 'cloudfront-viewer-country');
    assert.equal(countries.length, 1, 'one CloudFront-Viewer-Country, not the viewer\u2019s plus ours');
  });

  test('a behavior whose policies name no CloudFront header sends none', async () => {
    await te.get('/plain/a', { headers: { 'user-agent': IPHONE, 'CloudFront-Viewer-Country': 'US' } });
    assert.deepEqual(cfHeadersAt('/plain/a'), {});
  });
});

test('AllViewer forwards viewer headers but adds no CloudFront geo or device headers', async () => {
  await te.get('/all/a', { headers: { 'user-agent': IPHONE, 'x-app': '1' } });
  const seen = origin.requests.filter((q) => q.path === '/all/a')[0]!;
  assert.equal(seen.headers['x-app'], '1');
  assert.equal(seen.headers['user-agent'], IPHONE);
  assert.deepEqual(cfHeadersAt('/all/a'), {});
});

test('connection headers: viewer address with port, header count and order', async () => {
  await te.get('/conn/a', { headers: { 'X-First': '1', 'x-second': '2' } });
  const h = cfHeadersAt('/conn/a');
  const seen = origin.requests.filter((q) => q.path === '/conn/a')[0]!;
  assert.match(h['cloudfront-viewer-address'] ?? '', /^127\.0\.0\.1:\d+$/);
  assert.notEqual(h['cloudfront-viewer-address'], '127.0.0.1:0');
  const order = (h['cloudfront-viewer-header-order'] ?? '').split(':');
  assert.equal(Number(h['cloudfront-viewer-header-count']), order.length);
  // The viewer's names as sent, in order: the two test headers keep their relative order and case.
  assert.ok(order.indexOf('X-First') >= 0 && order.indexOf('X-First') < order.indexOf('x-second'), order.join(':'));
  assert.equal(seen.headers['x-first'], undefined, 'the policy forwards no viewer header');
});

test('a viewer outside every override (IPv6 loopback, no database) gets no geo headers, only device ones', async () => {
  const v6 = await startTestEdge({
    host: '::1',
    geoOverrides: join(dir, 'geo.json'),
    configs: [
      distribution(origin.port, {
        defaultCacheBehavior: {
          targetOriginId: 'o1',
          cachePolicy: 'CachingDisabled',
          originRequestPolicy: orp('v6', [
            'CloudFront-Viewer-Country',
            'CloudFront-Viewer-City',
            'CloudFront-Is-Mobile-Viewer',
          ]),
        },
      }),
    ],
  });
  let closed = false;
  try {
    assert.match(v6.url, /^http:\/\/\[::1\]:\d+$/);
    const r = await v6.get('/v6/a', { headers: { 'user-agent': IPHONE } });
    assert.equal(r.status, 200);
    assert.deepEqual(cfHeadersAt('/v6/a'), { 'cloudfront-is-mobile-viewer': 'true' });
    // close() flushes the batched access log.
    await v6.close();
    closed = true;
    const line = v6.accessLog.find((l) => l['cs-uri-stem'] === '/v6/a');
    assert.equal(line?.['c-ip'], '::1');
  } finally {
    if (!closed) await v6.close();
  }
});

describe('device headers from User-Agent', () => {
  test('an iPhone is mobile and iOS, nothing else', async () => {
    await te.get('/device/phone', { headers: { 'user-agent': IPHONE } });
    assert.deepEqual(cfHeadersAt('/device/phone'), {
      'cloudfront-is-mobile-viewer': 'true',
      'cloudfront-is-desktop-viewer': 'false',
      'cloudfront-is-ios-viewer': 'true',
      'cloudfront-is-android-viewer': 'false',
      'cloudfront-is-tablet-viewer': 'false',
      'cloudfront-is-smarttv-viewer': 'false',
    });
  });

  test('a desktop browser is a desktop viewer only', async () => {
    await te.get('/device/desk', { headers: { 'user-agent': DESKTOP } });
    const h = cfHeadersAt('/device/desk');
    assert.equal(h['cloudfront-is-desktop-viewer'], 'true');
    assert.equal(h['cloudfront-is-mobile-viewer'], 'false');
    assert.equal(h['cloudfront-is-ios-viewer'], 'false');
    assert.equal(Object.keys(h).length, DEVICE_HEADERS.length);
  });
});

describe('CloudFront headers in the cache key', () => {
  test('the origin gets the keyed headers, and mobile and desktop are cached apart', async () => {
    const phone1 = await te.get('/key/page', { headers: { 'user-agent': IPHONE } });
    assert.equal(phone1.header('x-cache'), 'Miss from verge');
    assert.deepEqual(cfHeadersAt('/key/page'), {
      'cloudfront-viewer-country': 'FR',
      'cloudfront-is-mobile-viewer': 'true',
    });
    const desk1 = await te.get('/key/page', { headers: { 'user-agent': DESKTOP } });
    assert.equal(desk1.header('x-cache'), 'Miss from verge');
    assert.deepEqual(cfHeadersAt('/key/page'), {
      'cloudfront-viewer-country': 'FR',
      'cloudfront-is-mobile-viewer': 'false',
    });
    const phone2 = await te.get('/key/page', {
      headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) Mobile/1' },
    });
    const desk2 = await te.get('/key/page', { headers: { 'user-agent': DESKTOP } });
    assert.equal(phone2.header('x-cache'), 'Hit from verge');
    assert.equal(desk2.header('x-cache'), 'Hit from verge');
    assert.equal(origin.count('/key/page'), 2);
  });

  test('a spoofed country cannot pick another cache entry', async () => {
    await te.get('/key/spoof', { headers: { 'user-agent': DESKTOP } });
    const r = await te.get('/key/spoof', { headers: { 'user-agent': DESKTOP, 'CloudFront-Viewer-Country': 'US' } });
    assert.equal(r.header('x-cache'), 'Hit from verge');
    assert.equal(origin.count('/key/spoof'), 1);
  });
});
