/**
 * @module test/scenarios/edge-viewer-headers
 * Response headers the viewer sees: the managed SecurityHeadersPolicy and CORS-With-Preflight,
 * an inline policy with custom, remove and override headers (spec 7.9), Server-Timing from a
 * policy and from the edge's `serverTiming` option, and the headers the edge adds to every
 * response including errors (X-Cache, Age, Via, X-Verge-Pop, X-Verge-Request-Id; spec 7.10).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/shared/clock.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge, type TestResponse } from '../harness/edge.js';
import { rawRequest } from '../harness/raw.js';

let origin: ScriptedOrigin;
let te: TestEdge;
let timed: TestEdge;
const clock = new FakeClock();
const ALL = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];

before(async () => {
  origin = await startOrigin({
    '*': (req) => ({
      headers: {
        'cache-control': 'max-age=600',
        'content-type': 'text/plain',
        'x-frame-options': 'DENY',
        'x-content-type-options': 'bogus',
        'x-powered-by': 'Express',
        server: 'origin-server',
        'x-override': 'from-origin',
        'x-keep': 'from-origin',
      },
      body: `body ${req.path}`,
    }),
    '/missing': { status: 404, headers: { 'cache-control': 'max-age=5' }, body: 'not here' },
    '/cond/a': { headers: { 'cache-control': 'max-age=600', etag: '"c1"' }, body: 'cond' },
    '/st/origin-st': { headers: { 'cache-control': 'max-age=600', 'server-timing': 'db;dur=12' }, body: 'st' },
  });
  const inline = {
    name: 'inline',
    customHeaders: [
      { header: 'X-Added', value: 'yes', override: false },
      { header: 'X-Override', value: 'from-policy', override: true },
      { header: 'X-Keep', value: 'from-policy', override: false },
      { header: 'X-Empty', value: '', override: false },
    ],
    removeHeaders: ['X-Powered-By', 'Server'],
  };
  te = await startTestEdge({
    clock,
    popId: 'TST1-C1',
    configs: [
      distribution(origin.port, {
        cacheBehaviors: [
          { pathPattern: '/sec/*', targetOriginId: 'o1', responseHeadersPolicy: 'SecurityHeadersPolicy' },
          {
            pathPattern: '/cors/*',
            targetOriginId: 'o1',
            responseHeadersPolicy: 'CORS-With-Preflight',
            allowedMethods: ALL,
          },
          { pathPattern: '/inline/*', targetOriginId: 'o1', responseHeadersPolicy: inline },
          {
            pathPattern: '/cors-list/*',
            targetOriginId: 'o1',
            responseHeadersPolicy: {
              name: 'list',
              cors: {
                allowOrigins: ['https://a.example'],
                allowHeaders: ['x-token'],
                allowMethods: ['GET'],
                allowCredentials: true,
              },
            },
          },
          {
            pathPattern: '/st/*',
            targetOriginId: 'o1',
            responseHeadersPolicy: { name: 'st', serverTiming: { enabled: true, samplingRate: 100 } },
          },
          {
            pathPattern: '/st0/*',
            targetOriginId: 'o1',
            responseHeadersPolicy: { name: 'st0', serverTiming: { enabled: true, samplingRate: 0 } },
          },
          { pathPattern: '/redir/*', targetOriginId: 'o1', viewerProtocolPolicy: 'redirect-to-https' },
        ],
      }),
    ],
  });
  timed = await startTestEdge({
    clock,
    serverTiming: true,
    configs: [distribution(origin.port, { id: 'timed', aliases: ['timed.local'] })],
  });
});

after(async () => {
  await te.close();
  await timed.close();
  await origin.close();
});

describe('response headers policies (spec 7.9)', () => {
  test('SecurityHeadersPolicy: only X-Content-Type-Options overrides the origin', async () => {
    const r = await te.get('/sec/a');
    assert.equal(r.status, 200);
    assert.equal(r.header('x-content-type-options'), 'nosniff');
    assert.equal(r.header('x-frame-options'), 'DENY', 'the origin value is kept');
    assert.equal(r.header('referrer-policy'), 'strict-origin-when-cross-origin');
    assert.equal(r.header('strict-transport-security'), 'max-age=31536000');
    assert.equal(r.header('x-xss-protection'), '1; mode=block');
    // The same headers on a cache hit.
    const hit = await te.get('/sec/a');
    assert.equal(hit.header('x-cache'), 'Hit from verge');
    assert.equal(hit.header('x-content-type-options'), 'nosniff');
    assert.equal(hit.header('strict-transport-security'), 'max-age=31536000');
  });

  test('CORS-With-Preflight: a CORS GET and a preflight OPTIONS', async () => {
    const plain = await te.get('/cors/a');
    assert.equal(plain.header('access-control-allow-origin'), undefined, 'no Origin, no CORS headers');
    const r = await te.get('/cors/a', { headers: { origin: 'https://app.example' } });
    assert.equal(r.header('access-control-allow-origin'), '*');
    assert.equal(r.header('access-control-expose-headers'), '*');
    const pre = await te.request('/cors/a', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'x-token',
      },
    });
    assert.equal(pre.status, 200);
    assert.equal(pre.header('access-control-allow-origin'), '*');
    const methods = (pre.header('access-control-allow-methods') ?? '').split(',').map((s) => s.trim());
    for (const m of ALL) assert.ok(methods.includes(m), `${m} in ${methods.join(',')}`);
    assert.equal(pre.header('access-control-allow-headers'), '*');
    assert.equal(pre.header('access-control-allow-credentials'), undefined);
  });

  test('CORS with an origin list is decided per viewer, on one cached object', async () => {
    const a = await te.get('/cors-list/x', { headers: { origin: 'https://a.example' } });
    assert.equal(a.header('access-control-allow-origin'), 'https://a.example');
    assert.equal(a.header('access-control-allow-credentials'), 'true');
    assert.match(a.header('vary') ?? '', /Origin/i);
    const b = await te.get('/cors-list/x', { headers: { origin: 'https://b.example' } });
    assert.equal(b.header('x-cache'), 'Hit from verge');
    assert.equal(b.header('access-control-allow-origin'), undefined);
    const a2 = await te.get('/cors-list/x', { headers: { origin: 'https://a.example' } });
    assert.equal(a2.header('x-cache'), 'Hit from verge');
    assert.equal(a2.header('access-control-allow-origin'), 'https://a.example');
    assert.equal(origin.count('/cors-list/x'), 1);
  });

  test('inline policy: remove, add, override and keep', async () => {
    const r = await te.get('/inline/a');
    assert.equal(r.header('x-powered-by'), undefined);
    assert.equal(r.header('x-added'), 'yes');
    assert.equal(r.header('x-override'), 'from-policy');
    assert.equal(r.header('x-keep'), 'from-origin');
    assert.equal(r.header('x-empty'), '');
    // Removing Server makes the edge insert its own (spec 7.9).
    assert.equal(r.header('server'), 'Verge');
  });

  test('Server-Timing from a policy: sampled at 100, forced by Pragma at 0', async () => {
    const miss = await te.get('/st/a');
    const st = miss.header('server-timing') ?? '';
    assert.match(st, /cdn-cache-miss/);
    assert.match(st, /cdn-pop;desc="TST1-C1"/);
    assert.ok(st.includes(`cdn-rid;desc="${miss.header('x-verge-request-id')}"`));
    const hit = await te.get('/st/a');
    assert.match(hit.header('server-timing') ?? '', /cdn-cache-hit/);
    assert.equal((await te.get('/st0/a')).header('server-timing'), undefined);
    const forced = await te.get('/st0/a', { headers: { pragma: 'server-timing' } });
    assert.match(forced.header('server-timing') ?? '', /cdn-cache-hit/);
  });

  test("Server-Timing: the origin's metrics are merged on a miss, only the edge's on a hit", async () => {
    const miss = await te.get('/st/origin-st');
    const st = miss.header('server-timing') ?? '';
    assert.match(st, /db;dur=12/);
    assert.match(st, /cdn-cache-miss/);
    const hit = await te.get('/st/origin-st');
    const hst = hit.header('server-timing') ?? '';
    assert.match(hst, /cdn-cache-hit/);
    assert.doesNotMatch(hst, /db;dur=12/);
  });

  test('Server-Timing from the edge option (serverTiming: true), on every response', async () => {
    const miss = await timed.get('/timed/a');
    assert.match(miss.header('server-timing') ?? '', /cdn-cache-miss/);
    const hit = await timed.get('/timed/a');
    assert.match(hit.header('server-timing') ?? '', /cdn-cache-hit/);
    assert.equal((await te.get('/plain/no-st')).header('server-timing'), undefined, 'off by default');
  });
});

function assertEdgeHeaders(r: TestResponse | { header(n: string): string | undefined }, xcache: string): void {
  assert.equal(r.header('x-cache'), xcache);
  assert.match(r.header('via') ?? '', /^1\.1 TST1-C1\.verge \(Verge\)$/);
  assert.equal(r.header('x-verge-pop'), 'TST1-C1');
  // CloudFront's request-id form (spec 1.1): 56 base64url characters ending in "==".
  assert.match(r.header('x-verge-request-id') ?? '', /^[A-Za-z0-9_-]{54}==$/);
}

describe('edge headers on every response (spec 7.10)', () => {
  test('Miss then Hit with Age counted on the fake clock', async () => {
    const miss = await te.get('/age/a');
    assertEdgeHeaders(miss, 'Miss from verge');
    assert.equal(miss.header('age'), undefined);
    clock.advance(7_000);
    const hit = await te.get('/age/a');
    assertEdgeHeaders(hit, 'Hit from verge');
    assert.equal(hit.header('age'), '7');
    clock.advance(5_000);
    assert.equal((await te.get('/age/a')).header('age'), '12');
    assert.notEqual(hit.header('x-verge-request-id'), miss.header('x-verge-request-id'));
    assert.equal(origin.count('/age/a'), 1);
  });

  test('errors: origin 404, unknown host, method not allowed, redirect, 414, 304', async () => {
    const nf = await te.get('/missing');
    assert.equal(nf.status, 404);
    assertEdgeHeaders(nf, 'Error from verge');
    const unknown = await te.get('/x', { host: 'nope.local' });
    assert.equal(unknown.status, 403);
    assertEdgeHeaders(unknown, 'Error from verge');
    assert.equal(unknown.header('server'), 'Verge');
    assert.ok(unknown.header('date'));
    const method = await te.request('/x', { method: 'DELETE' });
    assert.equal(method.status, 403);
    assertEdgeHeaders(method, 'Error from verge');
    const redir = await te.get('/redir/x');
    assert.equal(redir.status, 301);
    assertEdgeHeaders(redir, 'Redirect from verge');
    const long = await rawRequest(
      te.url,
      `GET /${'x'.repeat(9000)} HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(long.status, 414);
    assertEdgeHeaders({ header: (n) => long.headers[n] }, 'Error from verge');
    const first = await te.get('/cond/a');
    assert.equal(first.header('etag'), '"c1"');
    const nm = await te.get('/cond/a', { headers: { 'if-none-match': '"c1"' } });
    assert.equal(nm.status, 304);
    assertEdgeHeaders(nm, 'Hit from verge');
  });

  test('an unreachable origin: 502/504 with the edge headers', async () => {
    const dead = await startTestEdge({
      popId: 'TST1-C1',
      configs: [
        distribution(1, {
          id: 'dead',
          aliases: ['dead.local'],
          defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: 'CachingDisabled' },
        }),
      ],
    });
    try {
      const r = await dead.get('/x');
      assert.ok(r.status === 502 || r.status === 504, String(r.status));
      assertEdgeHeaders(r, 'Error from verge');
      assert.ok(r.text.includes(`Request ID: ${r.header('x-verge-request-id')}`));
    } finally {
      await dead.close();
    }
  });
});
