/**
 * @module test/scenarios/edge-cache-store
 * Scenario tests for where cached objects live and how they leave: the memory tier bounded in
 * bytes with LRU eviction (seen as refetches), the disk tier under `dataDir` surviving a restart,
 * and invalidation by path (exact, `/img/*`, `/*`; spec 7.6) and by tag (`Surrogate-Key`,
 * `Cache-Tag`) through the admin port, effective for the very next request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/shared/clock.js';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

const KIB = 1024;

describe('edge cache: memory bounded in bytes (LRU)', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  before(async () => {
    origin = await startOrigin({
      '*': (r) => ({ headers: { 'cache-control': 'max-age=600' }, body: Buffer.alloc(10 * KIB, r.path) }),
    });
    te = await startTestEdge({ configs: [distribution(origin.port)], runtime: nullRuntime, cacheMaxBytes: 36 * KIB });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  test('three 10 KiB objects fit in 36 KiB; a fourth evicts the least recently used', async () => {
    for (const p of ['/1', '/2', '/3']) assert.equal((await te.get(p)).header('x-cache'), 'Miss from verge');
    assert.equal((await te.get('/1')).header('x-cache'), 'Hit from verge'); // /1 is now the most recent
    await te.get('/4'); // evicts /2, the least recently used
    assert.equal((await te.get('/1')).header('x-cache'), 'Hit from verge');
    assert.equal((await te.get('/2')).header('x-cache'), 'Miss from verge');
    assert.deepEqual(
      ['/1', '/2', '/3', '/4'].map((p) => origin.count(p)),
      [1, 2, 1, 1],
    );
    const s = te.edge.cache.stats();
    assert.ok(s.bytes <= 36 * KIB, `cache holds ${s.bytes} bytes`);
  });
});

describe('edge cache: the disk tier survives a restart', () => {
  const clock = new FakeClock();
  let origin: ScriptedOrigin;
  const dataDir = mkdtempSync(join(tmpdir(), 'verge-data-'));
  before(async () => {
    origin = await startOrigin({
      '/kept': { headers: { 'cache-control': 'max-age=600', etag: '"k"' }, body: 'kept on disk' },
    });
  });
  after(async () => {
    await origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a second edge with the same dataDir serves a Hit without an origin fetch', async () => {
    const first = await startTestEdge({ configs: [distribution(origin.port)], runtime: nullRuntime, clock, dataDir });
    try {
      assert.equal((await first.get('/kept')).header('x-cache'), 'Miss from verge');
    } finally {
      await first.close();
    }
    clock.advance(5000);
    const second = await startTestEdge({ configs: [distribution(origin.port)], runtime: nullRuntime, clock, dataDir });
    try {
      const r = await second.get('/kept');
      assert.equal(r.text, 'kept on disk');
      assert.equal(r.header('x-cache'), 'Hit from verge');
      assert.equal(r.header('age'), '5');
      assert.equal(r.header('etag'), '"k"');
      assert.equal(origin.count('/kept'), 1);
    } finally {
      await second.close();
    }
  });
});

describe('edge cache: invalidation through the admin port', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  before(async () => {
    origin = await startOrigin({
      '*': (r, n) => {
        const tags: Record<string, string> = {};
        if (r.path.startsWith('/tagged/sk')) tags['surrogate-key'] = 'product-1 all-products';
        if (r.path.startsWith('/tagged/ct')) tags['cache-tag'] = 'product-2,all-products';
        return { headers: { 'cache-control': 'max-age=600', ...tags }, body: `${r.url}#${n}` };
      },
    });
    const policy = { minTTL: 0, defaultTTL: 600, maxTTL: 3600, queryStrings: 'all' };
    te = await startTestEdge({
      configs: [distribution(origin.port, { defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: policy } })],
      runtime: nullRuntime,
      adminPort: 0,
    });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  const invalidate = async (body: object) => {
    const r = await fetch(`${te.edge.adminUrl}/invalidations`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${te.edge.adminToken}` },
    });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  const warm = async (...paths: string[]) => {
    for (const p of paths) await te.get(p);
    for (const p of paths) assert.equal((await te.get(p)).header('x-cache'), 'Hit from verge', p);
  };
  const cacheOf = async (p: string) => (await te.get(p)).header('x-cache');

  test('an exact path removes that object only (query strings are part of the path)', async () => {
    await warm('/img/a.png', '/img/b.png', '/img/a.png?v=2');
    const r = await invalidate({ paths: ['/img/a.png'] });
    assert.equal(r.status, 201);
    assert.equal(r.json.removed, 1);
    assert.equal(await cacheOf('/img/a.png'), 'Miss from verge');
    assert.equal(await cacheOf('/img/b.png'), 'Hit from verge');
    assert.equal(await cacheOf('/img/a.png?v=2'), 'Hit from verge');
  });

  test('a wildcard /img/* removes everything under /img, queries included, and nothing else', async () => {
    await warm('/img/c.png', '/img/deep/d.png?x=1', '/css/site.css');
    await invalidate({ paths: ['/img/*'] });
    assert.equal(await cacheOf('/img/c.png'), 'Miss from verge');
    assert.equal(await cacheOf('/img/deep/d.png?x=1'), 'Miss from verge');
    assert.equal(await cacheOf('/css/site.css'), 'Hit from verge');
  });

  test('/* removes everything', async () => {
    await warm('/x', '/y/z');
    await invalidate({ paths: ['/*'] });
    assert.equal(await cacheOf('/x'), 'Miss from verge');
    assert.equal(await cacheOf('/y/z'), 'Miss from verge');
  });

  test('by tag: Surrogate-Key and Cache-Tag both tag objects; tag headers do not reach the viewer', async () => {
    await warm('/tagged/sk1', '/tagged/ct1', '/untagged');
    const first = await te.get('/tagged/sk1');
    assert.equal(first.header('surrogate-key'), undefined);
    assert.equal((await te.get('/tagged/ct1')).header('cache-tag'), undefined);
    await invalidate({ tags: ['product-1'] });
    assert.equal(await cacheOf('/tagged/sk1'), 'Miss from verge');
    assert.equal(await cacheOf('/tagged/ct1'), 'Hit from verge');
    await invalidate({ tags: ['all-products'] });
    assert.equal(await cacheOf('/tagged/sk1'), 'Miss from verge');
    assert.equal(await cacheOf('/tagged/ct1'), 'Miss from verge');
    assert.equal(await cacheOf('/untagged'), 'Hit from verge');
  });

  test('a bad invalidation is refused with 400 and removes nothing', async () => {
    await warm('/keep');
    assert.equal((await invalidate({ paths: ['no-slash'] })).status, 400);
    assert.equal((await invalidate({ paths: ['/a*b'] })).status, 400);
    assert.equal((await invalidate({})).status, 400);
    assert.equal(await cacheOf('/keep'), 'Hit from verge');
  });
});
