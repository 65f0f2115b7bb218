/**
 * @module test/scenarios/edge-cache-races
 * Scenario tests for requests that could poison the cache: a viewer's conditional request
 * forwarded by AllViewer (the origin's 304 must not become the cached object), POST next to
 * cached GETs, invalidation while a fetch is in flight, and Vary variants across a restart of
 * the disk tier.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/shared/clock.js';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin, type ScriptedResponse } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];

describe('edge cache: requests that must not poison the cache', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  let version = 1;
  // While set, /deploy holds its answer until the test calls it (a fetch kept in flight).
  let gate: Promise<void> | undefined;
  before(async () => {
    origin = await startOrigin({
      '/cond': (r): ScriptedResponse =>
        r.headers['if-none-match'] === '"c1"'
          ? { status: 304, headers: { etag: '"c1"', 'cache-control': 'max-age=60' } }
          : { headers: { etag: '"c1"', 'cache-control': 'max-age=60' }, body: 'full body' },
      '/form': (r, n) => ({ headers: { 'cache-control': 'max-age=60' }, body: `${r.method}-${n}` }),
      '/deploy': async () => {
        const body = `v${version}`; // what the origin has when the request arrives
        await gate;
        return { headers: { 'cache-control': 'max-age=600' }, body };
      },
    });
    te = await startTestEdge({
      configs: [
        distribution(origin.port, {
          defaultCacheBehavior: {
            targetOriginId: 'o1',
            cachePolicy: 'CachingOptimized',
            originRequestPolicy: 'AllViewer',
            allowedMethods: ALL_METHODS,
          },
        }),
      ],
      runtime: nullRuntime,
      adminPort: 0,
    });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  test('a forwarded If-None-Match: the viewer gets 304, and the next viewer still gets the full body', async () => {
    const first = await te.get('/cond', { headers: { 'if-none-match': '"c1"' } });
    assert.equal(first.status, 304);
    const second = await te.get('/cond');
    assert.equal(second.status, 200);
    assert.equal(second.text, 'full body');
  });

  test('POST goes to the origin every time, is never stored, and evicts the cached GET (RFC 9111 4.4)', async () => {
    assert.equal((await te.get('/form')).text, 'GET-1');
    const p1 = await te.request('/form', {
      method: 'POST',
      body: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const p2 = await te.request('/form', {
      method: 'POST',
      body: 'a=2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.deepEqual([p1.text, p2.text], ['POST-2', 'POST-3']);
    assert.equal(p1.header('x-cache'), 'Miss from verge');
    const g = await te.get('/form');
    assert.equal(g.text, 'GET-4', 'the successful POST evicted GET-1; the POST answer was not stored');
    assert.equal(g.header('x-cache'), 'Miss from verge');
    assert.equal((await te.get('/form')).header('x-cache'), 'Hit from verge');
  });

  test('an invalidation during an in-flight fetch is not undone by that fetch', async () => {
    assert.equal((await te.get('/deploy')).text, 'v1');
    version = 2;
    te.edge.invalidate({ distributionId: 'test', paths: ['/deploy'], tags: [] });
    let release!: () => void;
    gate = new Promise<void>((r) => (release = r));
    const seen = origin.count('/deploy');
    const inflight = te.get('/deploy');
    await origin.reached('/deploy', seen + 1); // the fetch for v2 is at the origin, held there
    version = 3;
    te.edge.invalidate({ distributionId: 'test', paths: ['/deploy'], tags: [] }); // a second deploy lands mid-fetch
    gate = undefined;
    release();
    assert.equal((await inflight).text, 'v2', 'the viewer in flight gets what its fetch brought');
    const after = await te.get('/deploy');
    assert.equal(after.text, 'v3', 'the object fetched before the invalidation must not be served after it');
    assert.equal(origin.count('/deploy'), seen + 2);
  });
});

describe('edge cache: Vary variants on the disk tier', () => {
  const clock = new FakeClock();
  let origin: ScriptedOrigin;
  const dataDir = mkdtempSync(join(tmpdir(), 'verge-data-'));
  before(async () => {
    origin = await startOrigin({
      '/v': (r, n) => ({
        headers: { vary: 'X-Lang', 'cache-control': 'max-age=600' },
        body: `${String(r.headers['x-lang'])}-${n}`,
      }),
    });
  });
  after(async () => {
    await origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('both variants survive a restart', async () => {
    const cfg = distribution(origin.port, {
      defaultCacheBehavior: {
        targetOriginId: 'o1',
        cachePolicy: { minTTL: 0, defaultTTL: 60, maxTTL: 600, headers: ['X-Lang'] },
      },
    });
    const start = () => startTestEdge({ configs: [cfg], runtime: nullRuntime, clock, dataDir });
    const a = await start();
    try {
      assert.equal((await a.get('/v', { headers: { 'x-lang': 'en' } })).text, 'en-1');
      assert.equal((await a.get('/v', { headers: { 'x-lang': 'fr' } })).text, 'fr-2');
    } finally {
      await a.close();
    }
    const b = await start();
    try {
      const en = await b.get('/v', { headers: { 'x-lang': 'en' } });
      const fr = await b.get('/v', { headers: { 'x-lang': 'fr' } });
      assert.deepEqual([en.text, fr.text], ['en-1', 'fr-2']);
      assert.deepEqual([en.header('x-cache'), fr.header('x-cache')], ['Hit from verge', 'Hit from verge']);
      assert.equal(origin.count('/v'), 2);
    } finally {
      await b.close();
    }
  });
});
