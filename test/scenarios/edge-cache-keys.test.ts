/**
 * @module test/scenarios/edge-cache-keys
 * Scenario tests for the cache key built from the cache policy (spec 7.2: query strings none /
 * all / whitelist, header whitelist, cookies) and for cache behaviors chosen by path pattern
 * in order, first match wins, the default last (spec 7.1), each behavior with its own origin.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

const ttl = { minTTL: 0, defaultTTL: 300, maxTTL: 3600 };

describe('edge cache: the cache key by policy (spec 7.2)', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  before(async () => {
    origin = await startOrigin({ '*': (r, n) => ({ body: `${r.url}#${n}` }) });
    const behavior = (pathPattern: string, cachePolicy: object) => ({ pathPattern, targetOriginId: 'o1', cachePolicy });
    te = await startTestEdge({
      configs: [
        distribution(origin.port, {
          defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: { ...ttl } },
          cacheBehaviors: [
            behavior('/qs-all/*', { ...ttl, queryStrings: 'all' }),
            behavior('/qs-white/*', { ...ttl, queryStrings: { whitelist: ['v'] } }),
            behavior('/qs-except/*', { ...ttl, queryStrings: { allExcept: ['utm'] } }),
            behavior('/hdr/*', { ...ttl, headers: ['X-Tenant'] }),
            behavior('/cookie/*', { ...ttl, cookies: { whitelist: ['session'] } }),
          ],
        }),
      ],
      runtime: nullRuntime,
    });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  const xc = async (path: string, headers?: Record<string, string>) =>
    (await te.get(path, headers ? { headers } : {})).header('x-cache');

  test('queryStrings none: the query is neither in the key nor sent to the origin', async () => {
    assert.equal(await xc('/none/a?x=1'), 'Miss from verge');
    assert.equal(await xc('/none/a?x=2'), 'Hit from verge');
    assert.equal(origin.requests.find((r) => r.path === '/none/a')!.url, '/none/a');
  });

  test('queryStrings all: each query is its own object', async () => {
    assert.equal(await xc('/qs-all/a?x=1'), 'Miss from verge');
    assert.equal(await xc('/qs-all/a?x=2'), 'Miss from verge');
    assert.equal(await xc('/qs-all/a?x=1'), 'Hit from verge');
    assert.equal(origin.count('/qs-all/a'), 2);
  });

  test('queryStrings whitelist: only the listed parameter matters', async () => {
    assert.equal(await xc('/qs-white/a?v=1&junk=1'), 'Miss from verge');
    assert.equal(await xc('/qs-white/a?v=1&junk=2'), 'Hit from verge');
    assert.equal(await xc('/qs-white/a?v=2&junk=1'), 'Miss from verge');
    assert.equal(origin.requests.find((r) => r.path === '/qs-white/a')!.url, '/qs-white/a?v=1');
  });

  test('queryStrings allExcept: the excluded parameter is ignored', async () => {
    assert.equal(await xc('/qs-except/a?p=1&utm=a'), 'Miss from verge');
    assert.equal(await xc('/qs-except/a?p=1&utm=b'), 'Hit from verge');
    assert.equal(await xc('/qs-except/a?p=2&utm=a'), 'Miss from verge');
  });

  test('a whitelisted header is in the key and forwarded; others are not', async () => {
    assert.equal(await xc('/hdr/a', { 'x-tenant': 't1', 'x-other': '1' }), 'Miss from verge');
    assert.equal(await xc('/hdr/a', { 'x-tenant': 't1', 'x-other': '2' }), 'Hit from verge');
    assert.equal(await xc('/hdr/a', { 'x-tenant': 't2' }), 'Miss from verge');
    const got = origin.requests.filter((r) => r.path === '/hdr/a');
    assert.deepEqual(
      got.map((r) => r.headers['x-tenant']),
      ['t1', 't2'],
    );
    assert.equal(got[0]!.headers['x-other'], undefined);
  });

  test('a whitelisted cookie is in the key; other cookies are neither keyed nor forwarded', async () => {
    assert.equal(await xc('/cookie/a', { cookie: 'session=s1; theme=dark' }), 'Miss from verge');
    assert.equal(await xc('/cookie/a', { cookie: 'theme=light; session=s1' }), 'Hit from verge');
    assert.equal(await xc('/cookie/a', { cookie: 'session=s2' }), 'Miss from verge');
    assert.equal(await xc('/cookie/a'), 'Miss from verge');
    const first = origin.requests.find((r) => r.path === '/cookie/a')!;
    assert.equal(first.headers.cookie, 'session=s1');
  });

  test('without cookies in the policy, cookies are not forwarded and do not split the key', async () => {
    assert.equal(await xc('/plain', { cookie: 'session=a' }), 'Miss from verge');
    assert.equal(await xc('/plain', { cookie: 'session=b' }), 'Hit from verge');
    assert.equal(origin.requests.find((r) => r.path === '/plain')!.headers.cookie, undefined);
  });
});

describe('edge: cache behaviors by path pattern (spec 7.1)', () => {
  let web: ScriptedOrigin;
  let api: ScriptedOrigin;
  let te: TestEdge;
  before(async () => {
    web = await startOrigin({ '*': (r) => ({ body: `web:${r.path}` }) });
    api = await startOrigin({ '*': (r, n) => ({ body: `api:${r.path}:${n}` }) });
    const d = distribution(web.port, {
      cacheBehaviors: [
        { pathPattern: '/api/public/*', targetOriginId: 'web', cachePolicy: 'CachingOptimized' },
        { pathPattern: 'api/*', targetOriginId: 'api', cachePolicy: 'CachingDisabled' },
        { pathPattern: '*.jpg', targetOriginId: 'api', cachePolicy: 'CachingOptimized' },
      ],
      defaultCacheBehavior: { targetOriginId: 'web', cachePolicy: 'CachingOptimized' },
    });
    const o = (d.origins as Array<Record<string, unknown>>)[0]!;
    d.origins = [
      { ...o, id: 'web' },
      { ...o, id: 'api', port: api.port },
    ];
    te = await startTestEdge({ configs: [d], runtime: nullRuntime });
  });
  after(async () => {
    await te.close();
    await web.close();
    await api.close();
  });

  test('first match wins, leading slash optional, default last', async () => {
    assert.equal((await te.get('/api/public/x')).text, 'web:/api/public/x');
    assert.equal((await te.get('/api/users')).text, 'api:/api/users:1');
    assert.equal((await te.get('/index.html')).text, 'web:/index.html');
    assert.equal((await te.get('/a/b/pic.jpg')).text, 'api:/a/b/pic.jpg:1');
  });

  test('matching is case-sensitive (*.jpg does not match LOGO.JPG)', async () => {
    assert.equal((await te.get('/LOGO.JPG')).text, 'web:/LOGO.JPG');
  });

  test('each behavior keeps its own cache policy (CachingDisabled always goes to the origin)', async () => {
    await te.get('/api/cached-not');
    const r = await te.get('/api/cached-not');
    assert.equal(r.text, 'api:/api/cached-not:2');
    assert.equal(r.header('x-cache'), 'Miss from verge');
    await te.get('/api/public/y');
    assert.equal((await te.get('/api/public/y')).header('x-cache'), 'Hit from verge');
    assert.equal(web.count('/api/public/y'), 1);
  });
});
