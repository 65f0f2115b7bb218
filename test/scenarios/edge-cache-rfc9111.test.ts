/**
 * @module test/scenarios/edge-cache-rfc9111
 * Scenario tests for the RFC 9111 rules that the HTTP caching conformance suite found broken
 * (issue 2), each through a real edge in front of a scripted origin, time on FakeClock:
 * stale forbidden on error (4.2.4, 5.2.2.2/.4/.8/.10), what a 304 may not update (3.2, 4.3.4),
 * Surrogate-Control targeted at Verge, qualified no-cache (5.2.2.4), invalidation by unsafe
 * methods (4.4) and the first member of a list-valued Age (5.1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/shared/clock.js';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin, type ScriptedResponse } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];
/** The conformance edge's policy: no freshness of the edge's own, the origin decides. */
const RFC_POLICY = { minTTL: 0, defaultTTL: 0, maxTTL: 31536000 };

describe('edge cache: RFC 9111 conformance fixes', () => {
  const clock = new FakeClock();
  const sec = (s: number) => clock.advance(s * 1000);
  let origin: ScriptedOrigin;
  let te: TestEdge;
  /** Paths whose next origin request is answered by resetting the connection. */
  const down = new Set<string>();
  const versioned =
    (cc: string) =>
    (r: { path: string }, n: number): ScriptedResponse =>
      down.has(r.path) ? { reset: true } : { headers: { 'cache-control': cc }, body: `${r.path}-${n}` };

  before(async () => {
    origin = await startOrigin({
      '/plain': versioned('max-age=2'),
      '/must-revalidate': versioned('max-age=2, must-revalidate'),
      '/proxy-revalidate': versioned('max-age=2, proxy-revalidate'),
      '/s-maxage': versioned('max-age=2, s-maxage=2'),
      '/no-cache': versioned('max-age=2, no-cache'),
      '/s-maxage-sie': versioned('s-maxage=2, stale-if-error=60'),
    });
    te = await startTestEdge({
      configs: [
        distribution(origin.port, {
          defaultCacheBehavior: { targetOriginId: 'o1', allowedMethods: ALL_METHODS, cachePolicy: RFC_POLICY },
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

  test('origin closes the connection: stale only where the response allows it (RFC 9111 4.2.4)', async () => {
    const paths = ['/plain', '/must-revalidate', '/proxy-revalidate', '/s-maxage', '/no-cache', '/s-maxage-sie'];
    for (const p of paths) assert.equal((await te.get(p)).text, `${p}-1`);
    sec(3);
    for (const p of paths) down.add(p);
    try {
      const got = new Map<string, string>();
      for (const p of paths) {
        const r = await te.get(p);
        got.set(p, `${r.status} ${r.header('x-cache')}`);
      }
      assert.deepEqual(Object.fromEntries(got), {
        '/plain': '200 Hit from verge', // CloudFront's default: serve the stored copy (spec 7.4)
        '/must-revalidate': '502 Error from verge',
        '/proxy-revalidate': '502 Error from verge',
        '/s-maxage': '502 Error from verge',
        '/no-cache': '502 Error from verge',
        '/s-maxage-sie': '200 Hit from verge', // an explicit stale-if-error still applies (RFC 5861 4)
      });
    } finally {
      for (const p of paths) down.delete(p);
    }
  });

  test('a 304 updates Cache-Control but keeps the stored ETag and Content-MD5 (RFC 9111 3.2)', async () => {
    origin.route('/validated', (r, n) =>
      r.headers['if-none-match'] === '"abcdef"'
        ? {
            status: 304,
            headers: { etag: '"ghijkl"', 'content-md5': 'B', 'x-test': 'B', 'cache-control': 'max-age=100' },
          }
        : {
            headers: { etag: '"abcdef"', 'content-md5': 'A', 'x-test': 'A', 'cache-control': 'max-age=2' },
            body: `v${n}`,
          },
    );
    assert.equal((await te.get('/validated')).text, 'v1');
    sec(3);
    const refreshed = await te.get('/validated');
    assert.equal(refreshed.header('x-cache'), 'RefreshHit from verge');
    assert.equal(refreshed.text, 'v1');
    assert.equal(refreshed.header('etag'), '"abcdef"');
    assert.equal(refreshed.header('content-md5'), 'A');
    assert.equal(refreshed.header('x-test'), 'B');
    sec(50);
    const hit = await te.get('/validated');
    assert.equal(hit.header('x-cache'), 'Hit from verge', 'the 304 max-age=100 now governs freshness');
    assert.equal(hit.header('etag'), '"abcdef"');
    assert.equal(origin.count('/validated'), 2);
  });

  test('Surrogate-Control: max-age;verge overrides Cache-Control: no-store; the origin is told the capability', async () => {
    origin.route('/surrogate', (r, n) => ({
      headers: {
        'cache-control': 'no-store',
        // The suite's trick: target the directive at whatever device the request announced.
        'surrogate-control': `max-age=100;${String(r.headers['surrogate-capability']).split('=')[0]}`,
      },
      body: `s${n}`,
    }));
    const first = await te.get('/surrogate');
    assert.equal(origin.requests.at(-1)!.headers['surrogate-capability'], 'verge="Surrogate/1.0"');
    assert.equal(first.header('surrogate-control'), undefined, 'the edge-only field never reaches the viewer');
    const hit = await te.get('/surrogate');
    assert.equal(hit.text, 's1');
    assert.equal(hit.header('x-cache'), 'Hit from verge');
    origin.route('/surrogate-other', (_r, n) => ({
      headers: { 'cache-control': 'no-store', 'surrogate-control': 'max-age=100;other-cdn' },
      body: `o${n}`,
    }));
    await te.get('/surrogate-other');
    assert.equal((await te.get('/surrogate-other')).text, 'o2', 'a directive for another device is not ours');
  });

  test('qualified no-cache="a, b": the response is reused without the named fields (RFC 9111 5.2.2.4)', async () => {
    origin.route('/qualified', (_r, n) => ({
      headers: { 'cache-control': ['no-cache="a, b"', 'max-age=3600'], a: '1', b: '2', c: '3' },
      body: `q${n}`,
    }));
    const miss = await te.get('/qualified');
    assert.equal(miss.header('a'), '1', 'the origin answer itself is passed on whole');
    const hit = await te.get('/qualified');
    assert.equal(hit.header('x-cache'), 'Hit from verge');
    assert.equal(hit.text, 'q1');
    assert.equal(hit.header('a'), undefined);
    assert.equal(hit.header('b'), undefined);
    assert.equal(hit.header('c'), '3');
  });

  test('Age: the first member counts, so "7200, 0" is stale on arrival and "0, 0" is fresh (RFC 9111 5.1)', async () => {
    origin.route('/age-old', (_r, n) => ({
      headers: { 'cache-control': 'max-age=3600', age: '7200, 0' },
      body: `a${n}`,
    }));
    origin.route('/age-dup', (_r, n) => ({ headers: { 'cache-control': 'max-age=3600', age: '0, 0' }, body: `a${n}` }));
    origin.route('/age-good', (_r, n) => ({ headers: { 'cache-control': 'max-age=3600', age: '10' }, body: `a${n}` }));
    await te.get('/age-old');
    assert.equal((await te.get('/age-old')).header('x-cache'), 'Miss from verge');
    await te.get('/age-dup');
    assert.equal((await te.get('/age-dup')).header('x-cache'), 'Hit from verge');
    await te.get('/age-good');
    const hit = await te.get('/age-good');
    assert.equal(hit.header('x-cache'), 'Hit from verge');
    assert.equal(hit.header('age'), '10');
  });
});

describe('edge cache: unsafe methods invalidate (RFC 9111 4.4)', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  let writeStatus = 200;
  let writeHeaders: Record<string, string> = {};
  before(async () => {
    origin = await startOrigin({
      '*': (r, n) =>
        r.method === 'GET' || r.method === 'HEAD'
          ? { headers: { 'cache-control': 'max-age=3600' }, body: `${r.url} #${n}` }
          : { status: writeStatus, headers: writeHeaders, body: 'written' },
    });
    te = await startTestEdge({
      configs: [
        distribution(origin.port, {
          defaultCacheBehavior: { targetOriginId: 'o1', allowedMethods: ALL_METHODS, cachePolicy: 'CachingOptimized' },
        }),
      ],
      runtime: nullRuntime,
    });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  const cached = async (p: string): Promise<boolean> => (await te.get(p)).header('x-cache') === 'Hit from verge';

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    test(`a successful ${method} evicts the target URI; the next GET goes to the origin`, async () => {
      const p = `/item-${method}?v=1`;
      await te.get(p);
      assert.equal(await cached(p), true);
      writeStatus = 200;
      writeHeaders = {};
      const w = await te.request(p, { method, body: 'abc' });
      assert.equal(w.status, 200);
      assert.equal(await cached(p), false);
      assert.equal(await cached(p), true);
    });
  }

  test('a failed write (500) keeps the cached copy; other URIs are untouched', async () => {
    await te.get('/keep');
    await te.get('/other');
    writeStatus = 500;
    writeHeaders = {};
    await te.request('/keep', { method: 'POST', body: 'x' });
    assert.equal(await cached('/keep'), true);
    writeStatus = 202;
    const ok = await te.request('/keep', { method: 'POST', body: 'x' });
    assert.equal(ok.status, 202);
    assert.equal(await cached('/keep'), false);
    assert.equal(await cached('/other'), true);
  });

  test('Location and Content-Location on the same host are evicted; another host is not', async () => {
    for (const p of ['/loc', '/cl', '/foreign']) await te.get(p);
    writeStatus = 201;
    writeHeaders = { location: '/loc', 'content-location': 'http://test.local/cl' };
    await te.request('/new', { method: 'POST', body: 'x' });
    assert.equal(await cached('/loc'), false);
    assert.equal(await cached('/cl'), false);
    writeHeaders = { location: 'http://elsewhere.example/foreign' };
    await te.request('/new', { method: 'POST', body: 'x' });
    assert.equal(await cached('/foreign'), true);
  });

  test('variants of the URI (Accept-Encoding in the key) are all evicted', async () => {
    await te.get('/enc', { headers: { 'accept-encoding': 'gzip' } });
    await te.get('/enc', { headers: { 'accept-encoding': 'br' } });
    assert.equal(
      (await te.get('/enc', { headers: { 'accept-encoding': 'gzip' } })).header('x-cache'),
      'Hit from verge',
    );
    writeStatus = 200;
    writeHeaders = {};
    await te.request('/enc', { method: 'PUT', body: 'x' });
    for (const enc of ['gzip', 'br']) {
      assert.equal(
        (await te.get('/enc', { headers: { 'accept-encoding': enc } })).header('x-cache'),
        'Miss from verge',
        enc,
      );
    }
  });
});
