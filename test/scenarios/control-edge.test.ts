// The replication protocol driven by a test client (src/shared/replication/protocol.ts):
// register, watch (snapshot on connect and on change, invalidations live and on reconnect),
// snapshot checksum, bundles by sha256 (verified, with Content-Length; 404 for unknown hashes),
// acks turning a distribution Deployed, refused snapshots, invalidation status per PoP, and PoP
// health from last-seen times on a fake clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { FakeClock } from '../../src/shared/clock.js';
import { BUNDLE_PREFIX, canonicalJson, type Snapshot } from '../../src/shared/replication/protocol.js';
import { distribution, startTestControl, taggingSource, type TestControl } from '../../src/control/testing/harness.js';
import { openStream, type EventStream } from '../../src/control/testing/sse-client.js';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('control plane edge protocol', () => {
  const clock = new FakeClock(Date.UTC(2026, 2, 1));
  let t: TestControl;
  const tokens: Record<string, string> = {};
  const streams: EventStream[] = [];
  const reg = (pop: string) =>
    t.api(
      'POST',
      '/edge/register',
      { pop, region: `r-${pop}`, location: 'Somewhere', appliedVersion: 0, edgeVersion: 'test' },
      { token: tokens[pop] },
    );
  const watch = async (pop: string, after: number) => {
    const s = await openStream(`${t.control.url}/api/v1/edge/watch?after=${after}`, tokens[pop]!);
    streams.push(s);
    return s;
  };
  const status = async () => (await t.api('GET', '/distributions/shop')).body as { status: string; pending: string[] };

  before(async () => {
    t = await startTestControl({ clock, pingIntervalMs: 100 });
    await t.api('POST', '/functions', { name: 'tagger', runtime: 'nodejs', code: { source: taggingSource('v1') } });
    await t.api('POST', '/functions/tagger/publish', {});
    await t.api('POST', '/distributions', distribution('shop'));
    await t.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: '/api/*',
      eventType: 'origin-request',
      function: 'tagger:1',
    });
    for (const pop of ['p1', 'p2'])
      tokens[pop] = (await t.api('POST', '/tokens', { name: pop, kind: 'edge', pop })).body.token;
  });
  after(async () => {
    for (const s of streams) await s.close();
    await t.close();
  });

  test('watch before register is refused; register is idempotent', async () => {
    const r = await fetch(`${t.control.url}/api/v1/edge/watch?after=0`, {
      headers: { authorization: `Bearer ${tokens.p1}` },
    });
    assert.equal(r.status, 404);
    await r.text();
    assert.equal((await reg('p1')).status, 200);
    const again = await reg('p1');
    assert.deepEqual(again.body, { pop: 'p1', protocol: 1, latestVersion: 2 });
    assert.deepEqual((await status()).pending, ['p1']);
    assert.equal((await status()).status, 'InProgress');
  });

  test('watch sends the snapshot; its checksum and bundles verify; an ack makes the distribution Deployed', async () => {
    const s = await watch('p1', 0);
    assert.equal(s.status, 200);
    const ev = await s.next('snapshot');
    assert.equal(ev.data.version, 2);
    const snap = (await t.api('GET', `/edge/snapshots/${ev.data.version}`, undefined, { token: tokens.p1 }))
      .body as Snapshot;
    assert.equal(snap.checksum, ev.data.checksum);
    const recomputed = sha256(
      canonicalJson({
        version: snap.version,
        distributions: snap.distributions,
        bundles: snap.bundles,
        kvs: snap.kvs,
        generations: snap.generations,
      }),
    );
    assert.equal(snap.checksum, recomputed);
    assert.match(snap.reason, /tagger:1 attached to shop \/api\/\* origin-request/);
    const behavior = snap.distributions[0]!.cacheBehaviors![0]!;
    const fn = behavior.functionAssociations![0]!.function as {
      path: string;
      name: string;
      version: string;
      handler: string;
    };
    assert.equal(fn.name, 'tagger');
    assert.equal(fn.version, '1');
    assert.equal(fn.handler, 'index.handler');
    const sha = fn.path.slice(BUNDLE_PREFIX.length);
    assert.deepEqual(Object.keys(snap.bundles), [sha]);
    const res = await fetch(`${t.control.url}/api/v1/edge/bundles/${sha}`, {
      headers: { authorization: `Bearer ${tokens.p1}` },
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    assert.equal(Number(res.headers.get('content-length')), snap.bundles[sha]!.size);
    assert.equal(bytes.length, snap.bundles[sha]!.size);
    assert.equal(sha256(bytes), sha);
    for (const bad of ['0'.repeat(64), 'not-a-hash']) {
      assert.equal((await t.api('GET', `/edge/bundles/${bad}`, undefined, { token: tokens.p1 })).status, 404);
      assert.equal((await t.api('GET', `/edge/kvs/${bad}`, undefined, { token: tokens.p1 })).status, 404);
    }
    assert.equal((await t.api('GET', '/edge/snapshots/99', undefined, { token: tokens.p1 })).status, 404);
    assert.equal(
      (await t.api('POST', '/edge/acks', { pop: 'p1', version: 2, ok: true }, { token: tokens.p1 })).status,
      204,
    );
    assert.deepEqual(await status(), { ...(await status()), status: 'Deployed', pending: [] });
    const dep = await t.api('GET', '/deployments/2');
    assert.equal(dep.body.acks.p1.ok, true);
  });

  test('a new PoP is pending until it acks; a refused snapshot keeps it pending with the error recorded', async () => {
    await reg('p2');
    assert.deepEqual((await status()).pending, ['p2']);
    await t.api(
      'POST',
      '/edge/acks',
      { pop: 'p2', version: 2, ok: false, error: 'bundle hash mismatch' },
      { token: tokens.p2 },
    );
    assert.deepEqual((await status()).pending, ['p2']);
    assert.equal((await t.api('GET', '/deployments/2')).body.acks.p2.error, 'bundle hash mismatch');
    const unknown = await t.api('POST', '/edge/acks', { pop: 'p2', version: 77, ok: true }, { token: tokens.p2 });
    assert.deepEqual(
      unknown.body.error.fields.map((f: { path: string }) => f.path),
      ['$.version'],
    );
    await t.api('POST', '/edge/acks', { pop: 'p2', version: 2, ok: true }, { token: tokens.p2 });
    assert.equal((await status()).status, 'Deployed');
  });

  test('a change reaches an open watch as the next snapshot; only the changed distribution goes InProgress', async () => {
    const s = streams[0]!;
    await t.api('POST', '/distributions', distribution('other'));
    const ev = await s.next('snapshot');
    assert.equal(ev.data.version, 3);
    const shop = await status();
    assert.equal(shop.status, 'Deployed', 'shop did not change in snapshot 3');
    const other = (await t.api('GET', '/distributions/other')).body;
    assert.equal(other.status, 'InProgress');
    assert.deepEqual(other.pending, ['p1', 'p2']);
    await t.api('PUT', '/functions/tagger/code', { code: { source: taggingSource('v2') } });
    await t.api('POST', '/functions/tagger/publish', {});
    await t.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: '/api/*',
      eventType: 'origin-request',
      function: 'tagger:2',
    });
    const ev4 = await s.next('snapshot');
    assert.equal(ev4.data.version, 4);
    const snap = (await t.api('GET', '/edge/snapshots/4', undefined, { token: tokens.p1 })).body as Snapshot;
    const fn = snap.distributions.find((d) => d.id === 'shop')!.cacheBehaviors![0]!.functionAssociations![0]!
      .function as { version: string };
    assert.equal(fn.version, '2');
    assert.equal(Object.keys(snap.bundles).length, 1, 'v1 is no longer attached anywhere');
    assert.deepEqual((await status()).pending, ['p1', 'p2']);
    for (const pop of ['p1', 'p2'])
      await t.api('POST', '/edge/acks', { pop, version: 4, ok: true }, { token: tokens[pop] });
    assert.equal((await status()).status, 'Deployed');
    assert.equal((await t.api('GET', '/distributions/other')).body.status, 'Deployed');
  });

  test('invalidations: validated per field, sent to watchers, per-PoP status, re-sent on reconnect until acked', async () => {
    const bad = await t.api('POST', '/invalidations', { distributionId: 'shop', paths: ['img/a.png', '/a*b', '/ok'] });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.body.error.fields.map((f: { path: string }) => f.path),
      ['$.paths[0]', '$.paths[1]'],
    );
    assert.equal((await t.api('POST', '/invalidations', { distributionId: 'shop' })).status, 400);
    assert.equal((await t.api('POST', '/invalidations', { distributionId: 'nope', paths: ['/x'] })).status, 404);
    const wildcards = Array.from({ length: 16 }, (_, i) => `/w${i}/*`);
    assert.equal((await t.api('POST', '/invalidations', { distributionId: 'shop', paths: wildcards })).status, 400);
    const inv = await t.api('POST', '/invalidations', {
      distributionId: 'shop',
      paths: ['/img/*'],
      tags: ['product-42'],
    });
    assert.equal(inv.status, 201);
    assert.equal(inv.body.status, 'InProgress');
    assert.deepEqual(Object.keys(inv.body.pops), ['p1', 'p2']);
    const ev = await streams[0]!.next('invalidation');
    assert.deepEqual(ev.data, { id: inv.body.id, distributionId: 'shop', paths: ['/img/*'], tags: ['product-42'] });
    await t.api('POST', `/edge/invalidations/${inv.body.id}/ack`, { pop: 'p1', removed: 3 }, { token: tokens.p1 });
    const mid = (await t.api('GET', `/invalidations/${inv.body.id}`)).body;
    assert.equal(mid.status, 'InProgress');
    assert.deepEqual([mid.pops.p1.status, mid.pops.p1.removed, mid.pops.p2.status], ['Completed', 3, 'InProgress']);
    // p2 was not watching: it gets the invalidation when it connects (its latest snapshot is 4).
    const s2 = await watch('p2', 4);
    const first = await s2.next('invalidation');
    assert.equal(first.data.id, inv.body.id);
    assert.equal(
      s2.events.some((e) => e.event === 'snapshot'),
      false,
      'p2 already has the latest snapshot',
    );
    await t.api('POST', `/edge/invalidations/${inv.body.id}/ack`, { pop: 'p2', removed: 0 }, { token: tokens.p2 });
    assert.equal((await t.api('GET', `/invalidations/${inv.body.id}`)).body.status, 'Completed');
    const again = await watch('p2', 4);
    const inv2 = await t.api('POST', '/invalidations', { distributionId: 'shop', paths: ['/x'] });
    assert.equal((await again.next('invalidation')).data.id, inv2.body.id, 'the acked invalidation is not re-sent');
    const list = await t.api('GET', '/invalidations?distributionId=shop');
    assert.deepEqual(
      list.body.items.map((i: { id: string }) => i.id),
      [inv2.body.id, inv.body.id],
    );
    await again.next('ping', 3000);
  });

  test('PoP health: healthy while watching or recently seen, stale after 30 s, down after 5 min', async () => {
    for (const s of streams.splice(1)) await s.close();
    const health = async () =>
      Object.fromEntries(
        (await t.api('GET', '/pops')).body.items.map((p: { id: string; health: string }) => [p.id, p.health]),
      );
    assert.deepEqual(await health(), { p1: 'healthy', p2: 'healthy' });
    clock.advance(31_000);
    assert.deepEqual(await health(), { p1: 'healthy', p2: 'stale' });
    clock.advance(5 * 60_000);
    assert.deepEqual(await health(), { p1: 'healthy', p2: 'down' });
    const pops = (await t.api('GET', '/pops')).body.items;
    assert.deepEqual(
      pops.map((p: { appliedVersion: number; region: string }) => [p.appliedVersion, p.region]),
      [
        [4, 'r-p1'],
        [4, 'r-p2'],
      ],
    );
    await reg('p2');
    assert.equal((await health()).p2, 'healthy');
  });
});
