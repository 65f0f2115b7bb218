import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { CorsPlan, ResponseHeadersPolicyPlan } from '../config/plan.js';
import { originAllowed } from './cors.js';
import { applyResponseHeadersPolicy, isNonRemovableHeader } from './response-headers.js';
import type { ApplyPolicyInput } from './response-headers.js';
import { securityHeadersFromConfig } from './security-headers.js';
import { sampled } from './server-timing.js';
import { VergeError } from '../../shared/errors.js';

function hdrs(o: Record<string, string>): CfHeaders {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), [{ key: k, value: v }]]));
}
const val = (h: CfHeaders, n: string) => h[n]?.map((e) => e.value).join(', ');
function policy(p: Partial<ResponseHeadersPolicyPlan> = {}): ResponseHeadersPolicyPlan {
  return { name: 't', securityHeaders: [], customHeaders: [], removeHeaders: [], ...p };
}
function cors(c: Partial<CorsPlan> = {}): CorsPlan {
  return {
    allowCredentials: false,
    allowHeaders: [],
    allowMethods: [],
    allowOrigins: [],
    exposeHeaders: [],
    originOverride: true,
    ...c,
  };
}
function run(
  p: ResponseHeadersPolicyPlan,
  req: Record<string, string>,
  res: Record<string, string> = {},
  over: Partial<ApplyPolicyInput> = {},
): CfHeaders {
  const responseHeaders = hdrs(res);
  applyResponseHeadersPolicy(p, { requestHeaders: hdrs(req), method: 'GET', responseHeaders, status: 200, ...over });
  return responseHeaders;
}

describe('remove, then add; override semantics', () => {
  test('removes listed headers, but a removed-and-added header is present', () => {
    const p = policy({
      removeHeaders: ['x-powered-by', 'server'],
      customHeaders: [{ header: 'Server', value: 'edge', override: false }],
    });
    const h = run(p, {}, { 'X-Powered-By': 'PHP', Server: 'nginx', 'X-Keep': '1' });
    assert.equal(h['x-powered-by'], undefined);
    assert.equal(val(h, 'server'), 'edge');
    assert.equal(val(h, 'x-keep'), '1');
  });
  test('non-removable headers are never removed', () => {
    const p = policy({ removeHeaders: ['content-length', 'via', 'x-amz-cf-pop', 'x-cache'] });
    const h = run(p, {}, { 'Content-Length': '3', Via: '1.1 x', 'X-Amz-Cf-Pop': 'P1', 'X-Cache': 'Hit' });
    assert.deepEqual(Object.keys(h).sort(), ['content-length', 'via', 'x-amz-cf-pop', 'x-cache']);
    assert.equal(isNonRemovableHeader('X-Edge-Location'), true);
    assert.equal(isNonRemovableHeader('X-Amzn-RequestId'), true);
    assert.equal(isNonRemovableHeader('X-Powered-By'), false);
  });
  test('override=false keeps the origin value; true replaces; absent → added either way', () => {
    const p = policy({
      customHeaders: [
        { header: 'X-A', value: 'policy', override: false },
        { header: 'X-B', value: 'policy', override: true },
        { header: 'X-C', value: 'policy', override: false },
        { header: 'X-Empty', value: '', override: false },
      ],
    });
    const h = run(p, {}, { 'x-a': 'origin', 'X-B': 'origin' });
    assert.equal(val(h, 'x-a'), 'origin');
    assert.deepEqual(h['x-b'], [{ key: 'X-B', value: 'policy' }]);
    assert.deepEqual(h['x-c'], [{ key: 'X-C', value: 'policy' }]);
    assert.deepEqual(h['x-empty'], [{ key: 'X-Empty', value: '' }]);
  });
});

describe('security headers', () => {
  test('values formatted as CloudFront does', () => {
    const rows = securityHeadersFromConfig({
      contentSecurityPolicy: { value: "default-src 'self'", override: true },
      referrerPolicy: { value: 'strict-origin-when-cross-origin', override: false },
      strictTransportSecurity: { maxAgeSec: 31536000, includeSubdomains: true, preload: true, override: false },
      contentTypeOptions: { override: true },
      frameOptions: { value: 'SAMEORIGIN', override: false },
      xssProtection: { protection: true, modeBlock: true, override: false },
    });
    const h = run(
      policy({ securityHeaders: rows }),
      {},
      { 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'bogus' },
    );
    assert.equal(val(h, 'content-security-policy'), "default-src 'self'");
    assert.equal(val(h, 'referrer-policy'), 'strict-origin-when-cross-origin');
    assert.equal(val(h, 'strict-transport-security'), 'max-age=31536000; includeSubDomains; preload');
    assert.equal(val(h, 'x-content-type-options'), 'nosniff');
    assert.equal(val(h, 'x-frame-options'), 'DENY', 'origin value kept without override');
    assert.equal(val(h, 'x-xss-protection'), '1; mode=block');
  });
  test('X-XSS-Protection variants and validation', () => {
    const x = (c: object) => securityHeadersFromConfig({ xssProtection: { override: false, ...c } as never })[0]?.value;
    assert.equal(x({ protection: false }), '0');
    assert.equal(x({ protection: true }), '1');
    assert.equal(x({ protection: true, reportUri: 'https://r.example/x' }), '1; report=https://r.example/x');
    assert.throws(
      () => x({ protection: true, modeBlock: true, reportUri: 'https://r' }),
      (e: unknown) => e instanceof VergeError && e.code === 'CONFIG_INVALID',
    );
    assert.throws(
      () => securityHeadersFromConfig({ contentSecurityPolicy: { value: 'a'.repeat(1784), override: true } }),
      /1783/,
    );
    assert.equal(
      securityHeadersFromConfig({ strictTransportSecurity: { maxAgeSec: 60, override: true } })[0]?.value,
      'max-age=60',
    );
  });
});

describe('CORS', () => {
  const allowed = ['https://app.example.com', 'https://*.example.org'];
  test('origin matching: *, exact, leftmost wildcard', () => {
    assert.equal(originAllowed('https://anything.test', ['*']), true);
    assert.equal(originAllowed('https://app.example.com', allowed), true);
    assert.equal(originAllowed('https://APP.example.com', allowed), true);
    assert.equal(originAllowed('https://a.example.org', allowed), true);
    assert.equal(originAllowed('https://a.b.example.org', allowed), true);
    assert.equal(originAllowed('https://example.org', allowed), false);
    assert.equal(originAllowed('http://a.example.org', allowed), false);
    assert.equal(originAllowed('https://evilexample.org', allowed), false);
    assert.equal(originAllowed('https://a.example.org.evil.com', allowed), false);
    assert.equal(originAllowed('null', allowed), false);
    assert.equal(originAllowed('https://x.example.org', ['*.example.org']), true);
  });
  test('no Origin or a disallowed one → no CORS headers', () => {
    const p = policy({ cors: cors({ allowOrigins: allowed, allowCredentials: true }) });
    assert.deepEqual(run(p, {}), {});
    assert.deepEqual(run(p, { Origin: 'https://other.com' }), {});
  });
  test('a specific origin is echoed with Vary: Origin, credentials and expose headers', () => {
    const p = policy({
      cors: cors({ allowOrigins: allowed, allowCredentials: true, exposeHeaders: ['X-Total', 'ETag'] }),
    });
    const h = run(p, { Origin: 'https://a.example.org' }, { Vary: 'Accept-Encoding' });
    assert.equal(val(h, 'access-control-allow-origin'), 'https://a.example.org');
    assert.equal(val(h, 'access-control-allow-credentials'), 'true');
    assert.equal(val(h, 'access-control-expose-headers'), 'X-Total, ETag');
    assert.equal(val(h, 'vary'), 'Accept-Encoding, Origin');
    assert.equal(h['access-control-allow-methods'], undefined, 'no preflight headers on a simple request');
  });
  test('`*` is sent as `*` without Vary', () => {
    const h = run(policy({ cors: cors({ allowOrigins: ['*'] }) }), { Origin: 'https://x.test' });
    assert.equal(val(h, 'access-control-allow-origin'), '*');
    assert.equal(h['vary'], undefined);
  });
  test('preflight gets methods (ALL expanded), headers and max-age', () => {
    const p = policy({
      cors: cors({
        allowOrigins: ['*'],
        allowMethods: ['ALL'],
        allowHeaders: ['*'],
        maxAgeSec: 600,
        exposeHeaders: ['X-E'],
      }),
    });
    const h = run(p, { Origin: 'https://x.test', 'Access-Control-Request-Method': 'PUT' }, {}, { method: 'OPTIONS' });
    assert.equal(val(h, 'access-control-allow-methods'), 'GET, DELETE, HEAD, OPTIONS, PATCH, POST, PUT');
    assert.equal(val(h, 'access-control-allow-headers'), '*');
    assert.equal(val(h, 'access-control-max-age'), '600');
    assert.equal(h['access-control-expose-headers'], undefined);
    // OPTIONS without Access-Control-Request-Method is not a preflight.
    const plain = run(p, { Origin: 'https://x.test' }, {}, { method: 'OPTIONS' });
    assert.equal(plain['access-control-allow-methods'], undefined);
  });
  test('originOverride=false keeps the origin’s CORS headers', () => {
    const p = policy({ cors: cors({ allowOrigins: allowed, originOverride: false }) });
    const h = run(p, { Origin: 'https://app.example.com' }, { 'Access-Control-Allow-Origin': 'https://mine.test' });
    assert.equal(val(h, 'access-control-allow-origin'), 'https://mine.test');
    assert.equal(h['vary'], undefined);
    const o = run(
      policy({ cors: cors({ allowOrigins: allowed }) }),
      { Origin: 'https://app.example.com' },
      { 'Access-Control-Allow-Origin': 'https://mine.test' },
    );
    assert.equal(val(o, 'access-control-allow-origin'), 'https://app.example.com');
  });
});

describe('Server-Timing', () => {
  const st = {
    pop: 'PHX50-C2',
    requestId: 'abc==',
    cacheStatus: 'miss' as const,
    upstreamConnectMs: 114,
    upstreamFirstByteMs: 177.4,
  };
  const on = (rate: number) => policy({ serverTiming: { enabled: true, samplingRate: rate } });
  test('miss: CloudFront metrics appended to the origin’s value', () => {
    const h = run(on(100), {}, { 'Server-Timing': 'db;dur=53' }, { serverTiming: st });
    assert.deepEqual(h['server-timing'], [
      {
        key: 'Server-Timing',
        value:
          'db;dur=53,cdn-upstream-layer;desc="EDGE",cdn-upstream-connect;dur=114,cdn-upstream-fbl;dur=177,cdn-cache-miss,cdn-pop;desc="PHX50-C2",cdn-rid;desc="abc=="',
      },
    ]);
  });
  test('hit: only CloudFront metrics, the stored origin value is dropped', () => {
    const h = run(
      on(100),
      {},
      { 'Server-Timing': 'db;dur=53' },
      { serverTiming: { ...st, cacheStatus: 'hit', downstreamFirstByteMs: 3 } },
    );
    assert.equal(
      val(h, 'server-timing'),
      'cdn-cache-hit,cdn-pop;desc="PHX50-C2",cdn-rid;desc="abc==",cdn-hit-layer;desc="EDGE",cdn-downstream-fbl;dur=3',
    );
  });
  test('refresh is named cdn-cache-refresh', () => {
    const h = run(on(100), {}, {}, { serverTiming: { ...st, cacheStatus: 'refresh' } });
    assert.match(val(h, 'server-timing') ?? '', /cdn-cache-refresh/);
  });
  test('sampling: rate 0 never, unless Pragma: server-timing; seeded draws decide in between', () => {
    assert.equal(run(on(0), {}, {}, { serverTiming: st })['server-timing'], undefined);
    assert.ok(run(on(0), { Pragma: 'no-cache, server-timing' }, {}, { serverTiming: st })['server-timing']);
    assert.ok(run(on(50), {}, {}, { serverTiming: st, random: () => 0.4999 })['server-timing']);
    assert.equal(run(on(50), {}, {}, { serverTiming: st, random: () => 0.5 })['server-timing'], undefined);
    assert.equal(
      run(policy({ serverTiming: { enabled: false, samplingRate: 100 } }), {}, {}, { serverTiming: st })[
        'server-timing'
      ],
      undefined,
    );
  });
  test('sampling rate is honoured statistically with a seeded generator', () => {
    let seed = 42;
    const lcg = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (sampled(12.5, lcg)) hits++;
    assert.ok(hits > 1_100 && hits < 1_400, String(hits));
    assert.equal(
      sampled(100, () => 0.99999),
      true,
    );
  });
});
