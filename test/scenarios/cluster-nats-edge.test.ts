// PoPs on the NATS path (verge edge --nats) next to PoPs on SSE, with two control replicas on one
// PostgreSQL both relaying to a nats-server of the test's own. A change and an invalidation made
// through replica A reach a PoP watching replica B over SSE and a PoP watching NATS within a
// second (applied, acknowledged per distribution, served). NATS stopped: the NATS PoP keeps
// serving its last-known-good generation, and when NATS returns it catches up, including an
// invalidation and a change sent while NATS was down. A PoP that was away while NATS ran replays
// what it missed from its cursor (the stream's replay window); one whose cursor the stream no
// longer reaches (purged, past the window) notices the gap and follows the stream again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startManagedEdge, type ManagedEdge } from '../../src/cli/edge-managed.js';
import { startTestControl, type TestControl } from '../../src/control/testing/harness.js';
import { memoryLogger, silentLogger, type Logger } from '../../src/shared/log.js';
import { INVALIDATION_STREAM } from '../../src/shared/bus/messages.js';
import { connect } from 'nats';
import { needs } from '../harness/needs.js';
import { missingNatsServer, startNats, type TestNats } from '../harness/nats.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { shopDistribution, until } from '../harness/replication.js';
import { inSchema, missingPostgres, scratchSchema } from '../harness/services.js';

const missing = (await missingPostgres()) || missingNatsServer();
/** The bound: a change on one replica reaches PoPs within a second. */
const WITHIN_MS = 1000;

describe('PoPs watching NATS and SSE across two replicas', { skip: needs(missing) }, () => {
  let nats: TestNats;
  let a: TestControl;
  let b: TestControl;
  let origin: ScriptedOrigin;
  let drop: () => Promise<void>;
  let root: string;
  const edges = new Map<string, ManagedEdge>();
  const tokens = new Map<string, string>();

  const startPop = async (pop: string, viaNats: boolean, logger: Logger = silentLogger) => {
    if (!tokens.has(pop))
      tokens.set(pop, (await a.api('POST', '/tokens', { name: pop, kind: 'edge', pop })).body.token);
    const m = await startManagedEdge({
      controlUrl: b.control.url,
      ...(viaNats ? { natsUrl: nats.url } : {}),
      token: tokens.get(pop)!,
      popId: pop,
      region: 'r',
      dataDir: join(root, `edge-${pop}`),
      host: '127.0.0.1',
      port: 0,
      geo: false,
      accessLog: 'off',
      logger,
      telemetryFlushMs: 200,
      backoffMs: { initial: 50, max: 300 },
    });
    edges.set(pop, m);
    return m;
  };
  const get = async (pop: string, path: string) => {
    const r = await request(edges.get(pop)!.edge.url + path, { headers: { host: 'shop.test' } });
    return { status: r.statusCode, text: await r.body.text() };
  };
  const latest = async () => (await a.api('GET', '/deployments?limit=1')).body.items[0].version as number;
  const invalidationDone = async (id: string, pop: string) =>
    (await a.api('GET', `/invalidations/${id}`)).body.pops[pop]?.status === 'Completed';

  before(async () => {
    nats = await startNats();
    origin = await startOrigin({ '/item': { headers: { 'cache-control': 'max-age=600' }, body: 'item' } });
    const s = await scratchSchema();
    drop = s.drop;
    const url = inSchema(s.schema);
    root = mkdtempSync(join(tmpdir(), 'verge-nats-edge-'));
    a = await startTestControl({ store: url, dir: join(root, 'a'), nats: nats.url });
    mkdirSync(join(root, 'b', 'data'), { recursive: true, mode: 0o700 });
    copyFileSync(join(root, 'a', 'data', 'secret.key'), join(root, 'b', 'data', 'secret.key'));
    b = await startTestControl({ store: url, dir: join(root, 'b'), adminToken: a.adminToken, nats: nats.url });
    await startPop('sse', false);
    await startPop('bus', true);
    // Both watches are open before the change: what is measured is fan-out, not a first connect.
    await until('both PoPs connected', () => [...edges.values()].every((m) => m.sync.status().connected), 10_000);
  });
  after(async () => {
    await Promise.all([...edges.values()].map((m) => m.close()));
    await b?.close();
    await a?.close();
    await nats?.close();
    await origin?.close();
    await drop?.();
    rmSync(root, { recursive: true, force: true });
  });

  test('a change and an invalidation through A reach the SSE PoP (on B) and the NATS PoP within a second', async () => {
    const made = await a.api('POST', '/distributions', shopDistribution(origin.port));
    assert.equal(made.status, 201, made.text);
    const v = await latest();
    await Promise.all([...edges.values()].map((m) => m.sync.waitForVersion(v, WITHIN_MS)));
    for (const pop of edges.keys()) {
      assert.deepEqual(await get(pop, '/item'), { status: 200, text: 'item' }, pop);
      await get(pop, '/item');
    }
    assert.equal(origin.count('/item'), 2, 'the second request at each PoP was a hit');
    await until(
      'shop Deployed on both PoPs (per-distribution acks)',
      async () => (await a.api('GET', '/distributions/shop')).body.status === 'Deployed',
    );
    const inv = await a.api('POST', '/invalidations', { distributionId: 'shop', paths: ['/item'] });
    assert.equal(inv.status, 201, inv.text);
    await until(
      'both PoPs acknowledged the invalidation',
      async () => (await invalidationDone(inv.body.id, 'sse')) && (await invalidationDone(inv.body.id, 'bus')),
      WITHIN_MS,
    );
    for (const pop of edges.keys()) await get(pop, '/item');
    assert.equal(origin.count('/item'), 4, 'each PoP fetched the invalidated object again');
  });

  test('NATS stopped: the NATS PoP keeps serving, then catches up with what was sent meanwhile', async () => {
    await nats.stop();
    await until('the NATS PoP noticed', () => !edges.get('bus')!.sync.status().connected);
    assert.deepEqual(await get('bus', '/item'), { status: 200, text: 'item' }, 'served from what it has');
    const before = origin.count('/item');
    const inv = await a.api('POST', '/invalidations', { distributionId: 'shop', paths: ['/item'] });
    assert.equal(inv.status, 201, inv.text);
    const put = await a.api(
      'PUT',
      '/distributions/shop',
      { ...shopDistribution(origin.port), comment: 'while NATS was down' },
      { ifMatch: '"r1"' },
    );
    assert.equal(put.status, 200, put.text);
    const v = await latest();
    assert.deepEqual(await get('bus', '/item'), { status: 200, text: 'item' }, 'still serving');
    assert.equal(origin.count('/item'), before, 'from its cache: the invalidation has not reached it');
    assert.equal(edges.get('bus')!.sync.appliedVersion < v, true, 'the change has not reached it');
    await nats.start();
    await edges.get('bus')!.sync.waitForVersion(v, 15_000);
    await until('the NATS PoP acknowledged the invalidation', () => invalidationDone(inv.body.id, 'bus'), 15_000);
    await get('bus', '/item');
    assert.equal(origin.count('/item'), before + 1, 'the invalidation sent while NATS was down took effect');
  });

  test('a PoP away while NATS ran replays the invalidations it missed from its cursor', async () => {
    await edges.get('bus')!.close();
    edges.delete('bus');
    const inv = await a.api('POST', '/invalidations', { distributionId: 'shop', paths: ['/elsewhere'] });
    assert.equal(inv.status, 201, inv.text);
    // In the stream before the PoP comes back: what it gets is the replay.
    await until(
      'relayed',
      async () => a.control.relay!.relayed + b.control.relay!.relayed > 0 && !(await unrelayed(a)),
    );
    assert.equal(await invalidationDone(inv.body.id, 'bus'), false);
    await startPop('bus', true);
    await until(
      'the returning PoP acknowledged the missed invalidation',
      () => invalidationDone(inv.body.id, 'bus'),
      15_000,
    );
  });

  test('a PoP whose cursor the stream no longer reaches says so (and empties its caches), then follows the stream again', async () => {
    await edges.get('bus')!.close();
    edges.delete('bus');
    const lost = await a.api('POST', '/invalidations', { distributionId: 'shop', paths: ['/lost'] });
    assert.equal(lost.status, 201, lost.text);
    await until('relayed', async () => !(await unrelayed(a)));
    // What the replay window does to old messages, at once: the PoP's next one is gone.
    const nc = await connect({ servers: nats.url });
    await (await nc.jetstreamManager()).streams.purge(INVALIDATION_STREAM);
    await nc.close();
    const log = memoryLogger();
    await startPop('bus', true, log);
    await until('connected', () => edges.get('bus')!.sync.status().connected);
    assert.ok(
      log.lines.some((l) => /older than the NATS replay window were missed/.test(String(l.msg))),
      'the gap is noticed',
    );
    assert.equal(await invalidationDone(lost.body.id, 'bus'), false, 'a purged invalidation cannot arrive');
    const next = await a.api('POST', '/invalidations', { distributionId: 'shop', paths: ['/next'] });
    await until('the next invalidation arrives', () => invalidationDone(next.body.id, 'bus'), 15_000);
  });
});

/** True while the outbox has rows NATS has not stored yet. */
async function unrelayed(t: TestControl): Promise<boolean> {
  return (await t.control.app.store.outbox.unrelayed(1)).length > 0;
}
