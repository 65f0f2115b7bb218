// A managed PoP given two control replicas' URLs (`verge edge --control A,B`) on one PostgreSQL
// (issue 15, "kill replica A: the PoPs carry on through B"): it follows replica A and serves a
// change made through A; A is killed (closed, its connections cut); the PoP moves to B, says so
// in one log line naming both, and a change made through B reaches it (snapshot body and bundles
// from B), its acks reach B (the distribution turns Deployed there) and so does its telemetry.
// The PoP's edge token, made through A, is valid on B: the replicas share the store.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startManagedEdge, type ManagedEdge } from '../../src/cli/edge-managed.js';
import { startTestControl, type TestControl } from '../../src/control/testing/harness.js';
import { memoryLogger } from '../../src/shared/log.js';
import { needs } from '../harness/needs.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { shopDistribution, until } from '../harness/replication.js';
import { inSchema, missingPostgres, scratchSchema } from '../harness/services.js';

const missing = await missingPostgres();

describe('a PoP given two control replicas moves to B when A dies', { skip: needs(missing) }, () => {
  let a: TestControl;
  let b: TestControl;
  let aClosed = false;
  let origin: ScriptedOrigin;
  let drop: () => Promise<void>;
  let root: string;
  let pop: ManagedEdge;
  const log = memoryLogger();

  const get = async (host: string, path: string) => {
    const r = await request(pop.edge.url + path, { headers: { host } });
    return { status: r.statusCode, text: await r.body.text() };
  };
  const latest = async (t: TestControl) => (await t.api('GET', '/deployments?limit=1')).body.items[0].version as number;

  before(async () => {
    origin = await startOrigin({ '/item': { headers: { 'cache-control': 'max-age=600' }, body: 'item' } });
    const s = await scratchSchema();
    drop = s.drop;
    const url = inSchema(s.schema);
    root = mkdtempSync(join(tmpdir(), 'verge-failover-'));
    a = await startTestControl({ store: url, dir: join(root, 'a') });
    mkdirSync(join(root, 'b', 'data'), { recursive: true, mode: 0o700 });
    copyFileSync(join(root, 'a', 'data', 'secret.key'), join(root, 'b', 'data', 'secret.key'));
    b = await startTestControl({ store: url, dir: join(root, 'b'), adminToken: a.adminToken });
    const token = (await a.api('POST', '/tokens', { name: 'pf', kind: 'edge', pop: 'pf' })).body.token as string;
    pop = await startManagedEdge({
      controlUrl: [a.control.url, b.control.url],
      token,
      popId: 'pf',
      region: 'r',
      dataDir: join(root, 'edge-pf'),
      host: '127.0.0.1',
      port: 0,
      geo: false,
      accessLog: 'off',
      logger: log,
      telemetryFlushMs: 200,
      backoffMs: { initial: 50, max: 300 },
    });
    await until('the PoP connected', () => pop.sync.status().connected);
  });
  after(async () => {
    await pop?.close();
    await b?.close();
    if (!aClosed) await a?.close();
    await origin?.close();
    await drop?.();
    rmSync(root, { recursive: true, force: true });
  });

  test('a change through A is served; A killed, a change through B reaches the PoP and its acks reach B', async () => {
    assert.equal(pop.sync.client.url, a.control.url, 'the first URL is used first');
    const made = await a.api('POST', '/distributions', shopDistribution(origin.port));
    assert.equal(made.status, 201, made.text);
    await pop.sync.waitForVersion(await latest(a));
    assert.deepEqual(await get('shop.test', '/item'), { status: 200, text: 'item' });
    await until('shop Deployed (acked through A)', async () => (await a.api('GET', '/distributions/shop')).body.status === 'Deployed'); // prettier-ignore

    await a.close();
    aClosed = true;
    const shipped = pop.telemetry.stats().shippedRecords;
    const put = await b.api(
      'PUT',
      '/distributions/shop',
      { ...shopDistribution(origin.port), aliases: ['shop.test', 'moved.test'], comment: 'through B' },
      { ifMatch: '"r1"' },
    );
    assert.equal(put.status, 200, put.text);
    const v = await latest(b);
    await pop.sync.waitForVersion(v, 15_000);
    assert.equal(pop.sync.client.url, b.control.url, 'the PoP moved to B');
    assert.deepEqual(await get('moved.test', '/item'), { status: 200, text: 'item' }, 'the change through B is live');
    await until(
      'shop Deployed on B (the ack for the change reached B)',
      async () => (await b.api('GET', '/distributions/shop')).body.status === 'Deployed',
      15_000,
    );
    const moves = log.lines.filter((l) => /^control plane .* failed; moving to /.test(String(l.msg)));
    assert.equal(moves.length, 1, 'one line for the move');
    assert.equal(moves[0]!.msg, `control plane ${a.control.url} failed; moving to ${b.control.url}`);
    // The viewer request above is an access-log record: it is shipped to B.
    await until('telemetry shipped to B', () => pop.telemetry.stats().shippedRecords > shipped, 15_000);
    const pops = (await b.api('GET', '/pops')).body.items as Array<{ id: string; appliedVersion: number }>;
    assert.equal(pops.find((p) => p.id === 'pf')?.appliedVersion, v, 'B knows what the PoP applied');
  });
});
