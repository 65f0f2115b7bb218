/**
 * Replication faults (issue 4's "Done when"), with the real control plane and three managed
 * edges, one of them (p1) reaching the control plane through a proxy that can damage bundles:
 * - a corrupted or truncated bundle is refused by its hash, the old version keeps serving, and
 *   the refusal is visible in the deployment's acks;
 * - an edge stopped during a deploy leaves the distribution InProgress naming that PoP, and it
 *   turns Deployed when the edge returns;
 * - with the control plane stopped, edges keep serving, and a restarted edge boots from its
 *   last-known-good snapshot and serves the function; when the control plane returns, it
 *   reconnects.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import {
  publishTagger,
  shopDistribution,
  startWorld,
  taggerSource,
  until,
  type World,
} from '../harness/replication.js';

type Damage = 'none' | 'corrupt' | 'truncate';

/** Forwards everything to the control plane (streams too); damages bundle bodies on request. */
async function startBundleProxy(
  target: () => string,
): Promise<{ url: string; damage: Damage; close(): Promise<void> }> {
  const state = { damage: 'none' as Damage };
  const server: Server = createServer((req, res) => {
    const t = new URL(target());
    const up = httpRequest(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (ur) => {
        const isBundle = /^\/api\/v1\/edge\/bundles\//.test(req.url ?? '');
        if (!isBundle || state.damage === 'none') {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => {
          let body = Buffer.concat(chunks);
          if (state.damage === 'truncate') body = body.subarray(0, Math.floor(body.length / 2));
          else body[body.length >> 1] = body[body.length >> 1]! ^ 0x5a;
          res.writeHead(ur.statusCode ?? 502, { ...ur.headers, 'content-length': String(body.length) });
          res.end(body);
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get damage() {
      return state.damage;
    },
    set damage(d: Damage) {
      state.damage = d;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

describe('replication faults', () => {
  let world: World;
  let origin: ScriptedOrigin;
  let proxy: Awaited<ReturnType<typeof startBundleProxy>>;

  const attach = async (tag: string) => {
    const v = await publishTagger(world.api, 'tagger', taggerSource(tag));
    await world.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: 'default',
      eventType: 'viewer-response',
      function: `tagger:${v}`,
    });
    const deployments = await world.api<{ items: Array<{ version: number }> }>('GET', '/deployments');
    return deployments.items[0]!.version;
  };
  const fn = async (pop: string) => (await world.get(pop, '/item')).headers['x-fn'];
  /** Serving a version comes a moment before its ack: wait for the acks themselves. */
  const acked = (version: number, pops: string[]) =>
    until(`acks of ${version} from ${pops.join(', ')}`, async () => {
      const d = await world.api<{ acks: Record<string, unknown> }>('GET', `/deployments/${version}`);
      return pops.every((p) => d.acks[p] !== undefined);
    });

  before(async () => {
    origin = await startOrigin({ '/item': { headers: { 'cache-control': 'max-age=600' }, body: 'item' } });
    world = await startWorld({ pops: [] });
    proxy = await startBundleProxy(() => world.control.url);
    await world.startEdge('p1', { controlUrl: proxy.url });
    await world.startEdge('p2');
    await world.startEdge('p3');
    await world.api('POST', '/distributions', shopDistribution(origin.port));
    await attach('one');
    await until('every PoP serving one', async () =>
      (await Promise.all(['p1', 'p2', 'p3'].map(fn))).every((t) => t === 'one'),
    );
  });
  after(async () => {
    await world?.close();
    await proxy?.close();
    await origin?.close();
  });

  for (const damage of ['corrupt', 'truncate'] as const) {
    test(`a ${damage === 'corrupt' ? 'corrupted' : 'truncated'} bundle is refused by its hash; the old version keeps serving`, async () => {
      const before = await fn('p1');
      proxy.damage = damage;
      const version = await attach(`bad-${damage}`);
      await until('p2 serving the new version', async () => (await fn('p2')) === `bad-${damage}`);
      await acked(version, ['p1', 'p2', 'p3']);
      proxy.damage = 'none';
      const d = await world.api<{ acks: Record<string, { ok: boolean; error: string | null }> }>(
        'GET',
        `/deployments/${version}`,
      );
      assert.equal(d.acks.p1!.ok, false);
      assert.match(d.acks.p1!.error ?? '', /REPLICATION_FAILED: bundle tagger:\d+ [0-9a-f]{12} refused: its sha256 is/);
      if (damage === 'truncate') assert.match(d.acks.p1!.error ?? '', /truncated/);
      assert.equal(await fn('p1'), before);
      const dist = await world.api<{ status: string; pending: string[] }>('GET', '/distributions/shop');
      assert.equal(dist.status, 'InProgress');
      assert.deepEqual(dist.pending, ['p1']);
    });
  }

  test('an edge stopped during a deploy keeps the distribution InProgress naming it, then Deployed when it returns', async () => {
    await world.stopEdge('p3');
    const version = await attach('three');
    await until('p1 and p2 serving three', async () => (await fn('p1')) === 'three' && (await fn('p2')) === 'three');
    await acked(version, ['p1', 'p2']);
    const during = await world.api<{ status: string; pending: string[] }>('GET', '/distributions/shop');
    assert.equal(during.status, 'InProgress');
    assert.deepEqual(during.pending, ['p3']);
    await world.startEdge('p3');
    await until(
      'Deployed',
      async () => (await world.api<{ status: string }>('GET', '/distributions/shop')).status === 'Deployed',
    );
    assert.equal(await fn('p3'), 'three');
  });

  test('with the control plane down, edges keep serving and a restarted edge boots from last-known-good', async () => {
    await world.stopControl();
    for (const p of ['p1', 'p2', 'p3']) assert.equal(await fn(p), 'three');
    await world.stopEdge('p2');
    const restarted = await world.startEdge('p2');
    assert.ok(restarted.bootVersion > 0, 'booted from a snapshot on disk');
    const r = await world.get('p2', '/item');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-fn'], 'three');
    assert.equal(restarted.sync.status().connected, false);
    // The control plane returns: the edge reconnects on its own.
    await world.restartControl();
    await until('p2 reconnected', () => restarted.sync.status().connected, 20_000);
    const pops = await world.api<{ items: Array<{ id: string; appliedVersion: number }> }>('GET', '/pops');
    assert.equal(pops.items.find((p) => p.id === 'p2')!.appliedVersion, restarted.bootVersion);
  });
});
