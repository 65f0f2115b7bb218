/**
 * Replication, the happy path (DESIGN section 4), with the real control plane and three managed
 * edges: a trigger attaching a published version reaches every PoP (each serves the function's
 * effect, the distribution turns Deployed, every PoP acked the snapshot); a new version replaces
 * it everywhere; an invalidation reaches every PoP (each acks, the objects are gone); function
 * logs, access logs and metrics from every PoP land in the control plane.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import {
  publishTagger,
  shopDistribution,
  startWorld,
  taggerSource,
  until,
  type World,
} from '../harness/replication.js';

const POPS = ['p1', 'p2', 'p3'];

describe('replication to three PoPs', () => {
  let world: World;
  let origin: ScriptedOrigin;

  before(async () => {
    origin = await startOrigin({ '/item': { headers: { 'cache-control': 'max-age=600' }, body: 'item' } });
    world = await startWorld({ pops: POPS });
    await world.api('POST', '/distributions', shopDistribution(origin.port));
  });
  after(async () => {
    await world?.close();
    await origin?.close();
  });

  const fnOnAll = async (tag: string) => {
    const seen = await Promise.all(POPS.map((p) => world.get(p, '/item').then((r) => r.headers['x-fn'])));
    return seen.every((v) => v === tag);
  };

  test('an attached version is served by every PoP and the distribution turns Deployed', async () => {
    const v = await publishTagger(world.api, 'tagger', taggerSource('one'));
    await world.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: 'default',
      eventType: 'viewer-response',
      function: `tagger:${v}`,
    });
    await until('every PoP serving version one', () => fnOnAll('one'));
    await until(
      'Deployed',
      async () => (await world.api<{ status: string }>('GET', '/distributions/shop')).status === 'Deployed',
    );
    const d = await world.api<{ status: string; pending: string[] }>('GET', '/distributions/shop');
    assert.deepEqual(d.pending, []);
    const deployments = await world.api<{ items: Array<{ version: number; acks: Record<string, { ok: boolean }> }> }>(
      'GET',
      '/deployments',
    );
    const latest = deployments.items[0]!;
    assert.deepEqual(Object.keys(latest.acks).sort(), POPS);
    assert.ok(Object.values(latest.acks).every((a) => a.ok));
    for (const p of POPS) assert.equal(world.edges.get(p)!.sync.appliedVersion, latest.version);
  });

  test('a new version replaces the old one on every PoP', async () => {
    const v = await publishTagger(world.api, 'tagger', taggerSource('two'));
    await world.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: 'default',
      eventType: 'viewer-response',
      function: `tagger:${v}`,
    });
    await until('every PoP serving version two', () => fnOnAll('two'));
  });

  test('an invalidation reaches every PoP: each acks and misses afterwards', async () => {
    for (const p of POPS) {
      await world.get(p, '/item');
      assert.equal((await world.get(p, '/item')).headers['x-cache'], 'Hit from verge');
    }
    const inv = await world.api<{ id: string }>('POST', '/invalidations', { distributionId: 'shop', paths: ['/item'] });
    await until(
      'invalidation Completed',
      async () => (await world.api<{ status: string }>('GET', `/invalidations/${inv.id}`)).status === 'Completed',
    );
    const done = await world.api<{ pops: Record<string, { status: string; removed: number }> }>(
      'GET',
      `/invalidations/${inv.id}`,
    );
    assert.deepEqual(Object.keys(done.pops).sort(), POPS);
    for (const p of POPS) assert.equal(done.pops[p]!.removed, 1, `PoP ${p} removed the object`);
    for (const p of POPS) assert.equal((await world.get(p, '/item')).headers['x-cache'], 'Miss from verge');
  });

  test('function logs and access logs from every PoP reach the control plane', async () => {
    await until('function logs from all PoPs', async () => {
      const logs = await world.api<{ items: Array<{ pop: string; type: string; message: string }> }>(
        'GET',
        '/logs?function=tagger&limit=200',
      );
      const pops = new Set(
        logs.items.filter((l) => l.type === 'function' && l.message === 'tagged two').map((l) => l.pop),
      );
      return POPS.every((p) => pops.has(p));
    });
    const access = await world.api<{ items: Array<{ pop: string; status: number }> }>(
      'GET',
      '/logs?type=access&distribution=shop&limit=500',
    );
    assert.deepEqual([...new Set(access.items.map((l) => l.pop))].sort(), POPS);
  });

  test('metrics from every PoP add up in the control plane', async () => {
    type Series = { series: Array<{ points: Array<Record<string, number | null>> }> };
    const total = (r: Series, k: string) =>
      r.series.flatMap((s) => s.points).reduce((n, p) => n + Number(p[k] ?? 0), 0);
    // Every request so far went through the viewer-response function on one of the PoPs.
    const requests = async () =>
      total(await world.api<Series>('GET', '/metrics?kind=distribution&distribution=shop'), 'requests');
    const invocations = async () =>
      total(await world.api<Series>('GET', '/metrics?kind=function&name=tagger'), 'invocations');
    await until('metrics shipped', async () => (await requests()) >= 12 && (await invocations()) >= 12);
    // Telemetry flushes every 200 ms here: wait until the count stops moving.
    let last = -1;
    await until(
      'metrics settled',
      async () => {
        const now = await requests();
        const settled = now === last;
        last = now;
        return settled;
      },
      10_000,
      600,
    );
    const before = await requests();
    for (const p of POPS) await world.get(p, '/item');
    await until('three more requests counted', async () => (await requests()) === before + 3);
  });
});
