/**
 * @module test/scenarios/edge-cache-stale
 * Scenario tests for request collapsing (spec 7.11) and serving stale content:
 * `stale-while-revalidate`, `stale-if-error`, stale while the origin is down, and 502/504 when
 * nothing stale exists (spec 7.4, 5.1). Freshness moves only through FakeClock; the origin's
 * delay just keeps concurrent misses overlapping.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/shared/clock.js';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

const N = 20;

describe('edge cache: request collapsing (spec 7.11)', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  before(async () => {
    origin = await startOrigin({
      '/slow': (_r, n) => ({ delayMs: 150, headers: { 'cache-control': 'max-age=60' }, body: `slow-${n}` }),
      '/private': (_r, n) => ({ delayMs: 150, headers: { 'cache-control': 'private' }, body: `mine-${n}` }),
    });
    const policy = { minTTL: 0, defaultTTL: 86400, maxTTL: 31536000 };
    te = await startTestEdge({
      configs: [distribution(origin.port, { defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: policy } })],
      runtime: nullRuntime,
    });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  test(`${N} concurrent misses on one key: 1 origin fetch, 1 Miss and ${N - 1} Hit`, async () => {
    const rs = await Promise.all(Array.from({ length: N }, () => te.get('/slow')));
    assert.equal(origin.count('/slow'), 1);
    const classes = rs.map((r) => r.header('x-cache'));
    assert.equal(classes.filter((c) => c === 'Miss from verge').length, 1);
    assert.equal(classes.filter((c) => c === 'Hit from verge').length, N - 1);
    for (const r of rs) assert.equal(r.text, 'slow-1');
    assert.equal(te.edge.stats.collapsed.sum({ distribution: 'test' }), N - 1);
  });

  test('different keys are not collapsed', async () => {
    const before = origin.count();
    const rs = await Promise.all(
      ['/a', '/b', '/c'].map((p) => (origin.route(p, { delayMs: 100, body: p }), te.get(p))),
    );
    assert.equal(origin.count() - before, 3);
    assert.deepEqual(
      rs.map((r) => [r.text, r.header('x-cache')]),
      [
        ['/a', 'Miss from verge'],
        ['/b', 'Miss from verge'],
        ['/c', 'Miss from verge'],
      ],
    );
  });

  // Spec 7.11: collapsing is off per object only with minTTL 0 (with minTTL > 0, 7.4 caches
  // even `private` for minTTL), hence the inline policy.
  test('an uncacheable (private) answer is not shared with the joiners (minTTL 0)', async () => {
    const rs = await Promise.all(Array.from({ length: 4 }, () => te.get('/private')));
    assert.equal(origin.count('/private'), 4);
    assert.equal(new Set(rs.map((r) => r.text)).size, 4);
  });
});

describe('edge cache: stale content', () => {
  const clock = new FakeClock();
  let origin: ScriptedOrigin;
  let te: TestEdge;
  const sec = (s: number) => clock.advance(s * 1000);
  let failing = false;
  // The refresh's answer waits until the stale copies were served: "at once" means before it.
  let openGate!: () => void;
  const gate = new Promise<void>((r) => (openGate = r));
  before(async () => {
    origin = await startOrigin({
      '/swr': async (_r, n) => {
        if (n > 1) await gate;
        return { headers: { 'cache-control': 'max-age=10, stale-while-revalidate=30' }, body: `swr-${n}` };
      },
      '/sie': (_r, n) =>
        failing
          ? { status: 503, body: 'down' }
          : { headers: { 'cache-control': 'max-age=10, stale-if-error=60' }, body: `sie-${n}` },
      '/sie0': (_r, n) =>
        failing
          ? { status: 500, body: 'broken' }
          : { headers: { 'cache-control': 'max-age=10, stale-if-error=0' }, body: `z-${n}` },
      '/down': (_r, n) => ({ headers: { 'cache-control': 'max-age=10' }, body: `down-${n}` }),
    });
    te = await startTestEdge({ configs: [distribution(origin.port)], clock, runtime: nullRuntime });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  test('stale-while-revalidate: stale served at once, one background refresh, then the new body', async () => {
    assert.equal((await te.get('/swr')).text, 'swr-1');
    sec(15);
    const stale = await Promise.all([te.get('/swr'), te.get('/swr'), te.get('/swr')]);
    for (const r of stale) {
      assert.equal(r.text, 'swr-1');
      assert.equal(r.header('x-cache'), 'Hit from verge');
      assert.equal(r.header('age'), '15');
    }
    openGate();
    await te.edge.idle(); // the background refresh has answered and been stored
    assert.equal(origin.count('/swr'), 2);
    const fresh = await te.get('/swr');
    assert.equal(fresh.text, 'swr-2');
    assert.equal(fresh.header('x-cache'), 'Hit from verge');
  });

  test('past the stale-while-revalidate window the viewer waits for the origin', async () => {
    await te.get('/swr?x');
    sec(200);
    const r = await te.get('/swr');
    assert.notEqual(r.text, 'swr-2');
    assert.equal(r.header('x-cache'), 'Miss from verge');
  });

  test('stale-if-error: a 5xx from the origin serves the stale copy within the window', async () => {
    assert.equal((await te.get('/sie')).text, 'sie-1');
    sec(20);
    failing = true;
    try {
      const r = await te.get('/sie');
      assert.equal(r.status, 200);
      assert.equal(r.text, 'sie-1');
      assert.equal(r.header('x-cache'), 'Hit from verge');
      sec(60);
      const late = await te.get('/sie');
      assert.equal(late.status, 503);
      assert.equal(late.header('x-cache'), 'Error from verge');
    } finally {
      failing = false;
    }
  });

  test('stale-if-error=0 forbids serving stale', async () => {
    await te.get('/sie0');
    sec(11);
    failing = true;
    try {
      const r = await te.get('/sie0');
      assert.equal(r.status, 500);
      assert.equal(r.text, 'broken');
    } finally {
      failing = false;
    }
  });

  test('origin down: stale served (200, stale body); nothing stale → 502 Error', async () => {
    assert.equal((await te.get('/down')).text, 'down-1');
    sec(30);
    await origin.close();
    const r = await te.get('/down');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'down-1');
    const none = await te.get('/never-seen');
    assert.equal(none.status, 502);
    assert.equal(none.header('x-cache'), 'Error from verge');
  });
});

describe('edge: origin timeouts with nothing stale', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  before(async () => {
    origin = await startOrigin({ '/hang': { hang: true }, '/ok': { body: 'ok' } });
    const d = distribution(origin.port);
    (d.origins as Array<Record<string, unknown>>)[0]!.readTimeout = 1;
    te = await startTestEdge({ configs: [d], runtime: nullRuntime });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  test('a hanging origin with readTimeout 1 → 504, and the edge keeps serving', async () => {
    const r = await te.get('/hang');
    assert.equal(r.status, 504);
    assert.equal(r.header('x-cache'), 'Error from verge');
    assert.equal((await te.get('/ok')).text, 'ok');
  });
});
