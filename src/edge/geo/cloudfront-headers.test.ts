import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLOUDFRONT_HEADER_NAMES,
  HEADER_ORDER_LIMIT,
  cloudFrontHeaders,
  encodeGeoValue,
} from './cloudfront-headers.js';
import type { CloudFrontHeaderInput } from './cloudfront-headers.js';
import type { GeoLocation } from './types.js';

const annArbor: GeoLocation = {
  countryCode: 'US',
  countryName: 'United States',
  regionCode: 'MI',
  regionName: 'Michigan',
  city: 'Ann Arbor',
  latitude: 42.3068,
  longitude: -83.7059,
  timeZone: 'America/Detroit',
  postalCode: '48105',
  metroCode: '505',
  asn: '237',
};

function input(over: Partial<CloudFrontHeaderInput> = {}): CloudFrontHeaderInput {
  return {
    clientIp: '198.51.100.10',
    clientPort: 46532,
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile/15E148',
    protocol: 'https',
    httpVersion: '2.0',
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', handshake: 'sessionResumed' },
    viewerHeaderNames: ['Host', 'User-Agent', 'Accept', 'Accept-Encoding'],
    geo: annArbor,
    ...over,
  };
}
const values = (h: Record<string, Array<{ key?: string; value: string }>>) =>
  Object.fromEntries(Object.values(h).map(([e]) => [e!.key, e!.value]));

describe('cloudFrontHeaders', () => {
  test('every header with CloudFront names and value formats', () => {
    const h = cloudFrontHeaders(input({ ja3: 'abc123' }), () => true);
    assert.deepEqual(values(h), {
      'CloudFront-Forwarded-Proto': 'https',
      'CloudFront-Is-Android-Viewer': 'false',
      'CloudFront-Is-Desktop-Viewer': 'false',
      'CloudFront-Is-IOS-Viewer': 'true',
      'CloudFront-Is-Mobile-Viewer': 'true',
      'CloudFront-Is-SmartTV-Viewer': 'false',
      'CloudFront-Is-Tablet-Viewer': 'false',
      'CloudFront-Viewer-Address': '198.51.100.10:46532',
      'CloudFront-Viewer-ASN': '237',
      'CloudFront-Viewer-City': 'Ann Arbor',
      'CloudFront-Viewer-Country': 'US',
      'CloudFront-Viewer-Country-Name': 'United States',
      'CloudFront-Viewer-Country-Region': 'MI',
      'CloudFront-Viewer-Country-Region-Name': 'Michigan',
      'CloudFront-Viewer-Header-Count': '4',
      'CloudFront-Viewer-Header-Order': 'Host:User-Agent:Accept:Accept-Encoding',
      'CloudFront-Viewer-Http-Version': '2.0',
      'CloudFront-Viewer-JA3-Fingerprint': 'abc123',
      'CloudFront-Viewer-Latitude': '42.30680',
      'CloudFront-Viewer-Longitude': '-83.70590',
      'CloudFront-Viewer-Metro-Code': '505',
      'CloudFront-Viewer-Postal-Code': '48105',
      'CloudFront-Viewer-Time-Zone': 'America/Detroit',
      'CloudFront-Viewer-TLS': 'TLSv1.3:TLS_AES_128_GCM_SHA256:sessionResumed',
    });
    for (const [lower, [e]] of Object.entries(h)) assert.equal(lower, e!.key!.toLowerCase());
  });
  test('only wanted headers are produced', () => {
    const h = cloudFrontHeaders(input(), (n) => n === 'cloudfront-viewer-country' || n === 'x-other');
    assert.deepEqual(h, { 'cloudfront-viewer-country': [{ key: 'CloudFront-Viewer-Country', value: 'US' }] });
  });
  test('geo and User-Agent are computed only when a wanted header needs them', () => {
    let geoCalls = 0;
    const geo = () => (geoCalls++, annArbor);
    const base: CloudFrontHeaderInput = { ...input(), geo };
    // Reading the User-Agent throws, so any UA parse shows up as an exception.
    Object.defineProperty(base, 'userAgent', {
      get: () => {
        throw new Error('UA read');
      },
    });
    cloudFrontHeaders(base, (n) => n === 'cloudfront-forwarded-proto');
    assert.equal(geoCalls, 0);
    cloudFrontHeaders(base, (n) => n.startsWith('cloudfront-viewer-c') || n.startsWith('cloudfront-viewer-l'));
    assert.equal(geoCalls, 1, 'one lookup for several geo headers');
    assert.throws(() => cloudFrontHeaders(base, (n) => n === 'cloudfront-is-ios-viewer'), /UA read/);
  });
  test('no geo → no location headers; HTTP → no TLS / JA3', () => {
    const h = cloudFrontHeaders(input({ geo: undefined, protocol: 'http', ja3: 'x' }), () => true);
    for (const n of ['country', 'city', 'latitude', 'asn', 'time-zone', 'tls', 'ja3-fingerprint'])
      assert.equal(h[`cloudfront-viewer-${n}`], undefined, n);
    assert.equal(h['cloudfront-forwarded-proto']?.[0]?.value, 'http');
  });
  test('metro code only for the US; empty fields omitted', () => {
    const h = cloudFrontHeaders(input({ geo: { countryCode: 'GB', metroCode: '1', city: '' } }), () => true);
    assert.equal(h['cloudfront-viewer-metro-code'], undefined);
    assert.equal(h['cloudfront-viewer-city'], undefined);
    assert.equal(h['cloudfront-viewer-country']?.[0]?.value, 'GB');
  });
  test('non-ASCII geo values are percent-encoded (UTF-8)', () => {
    const h = cloudFrontHeaders(
      input({ geo: { countryCode: 'DE', city: 'München', regionName: 'Baden-Württemberg' } }),
      () => true,
    );
    assert.equal(h['cloudfront-viewer-city']?.[0]?.value, 'M%C3%BCnchen');
    assert.equal(h['cloudfront-viewer-country-region-name']?.[0]?.value, 'Baden-W%C3%BCrttemberg');
    assert.equal(encodeGeoValue('Tōkyō\n'), 'T%C5%8Dky%C5%8D%0A');
  });
  test('IPv4-mapped viewer addresses are reported as IPv4; IPv6 as is', () => {
    assert.equal(
      cloudFrontHeaders(input({ clientIp: '::ffff:203.0.113.7', clientPort: 5 }), () => true)[
        'cloudfront-viewer-address'
      ]?.[0]?.value,
      '203.0.113.7:5',
    );
    assert.equal(
      cloudFrontHeaders(input({ clientIp: '2001:db8::1', clientPort: 443 }), () => true)[
        'cloudfront-viewer-address'
      ]?.[0]?.value,
      '2001:db8::1:443',
    );
  });
  test('header order is truncated at 7,680 characters; the count is not', () => {
    const names = Array.from({ length: 1000 }, (_, i) => `X-Header-${i}`);
    const h = cloudFrontHeaders(input({ viewerHeaderNames: names }), () => true);
    const order = h['cloudfront-viewer-header-order']![0]!.value;
    assert.equal(order.length, HEADER_ORDER_LIMIT);
    assert.ok(order.startsWith('X-Header-0:X-Header-1:'));
    assert.equal(h['cloudfront-viewer-header-count']?.[0]?.value, '1000');
  });
  test('HTTP version and device defaults', () => {
    const h = cloudFrontHeaders(input({ httpVersion: '1.1', userAgent: undefined }), () => true);
    assert.equal(h['cloudfront-viewer-http-version']?.[0]?.value, '1.1');
    assert.equal(h['cloudfront-is-desktop-viewer']?.[0]?.value, 'true');
    assert.equal(h['cloudfront-is-mobile-viewer']?.[0]?.value, 'false');
  });
  test('the exported name list is complete and unique', () => {
    assert.equal(new Set(CLOUDFRONT_HEADER_NAMES).size, CLOUDFRONT_HEADER_NAMES.length);
    assert.ok(CLOUDFRONT_HEADER_NAMES.every((n) => n.startsWith('CloudFront-')));
    assert.equal(CLOUDFRONT_HEADER_NAMES.length, 25);
  });
});
