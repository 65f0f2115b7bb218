// Cross-replica fan-out on one PostgreSQL without NATS: a PoP watching replica B (SSE) hears of a
// snapshot and an invalidation made through replica A within a second (PostgreSQL NOTIFY from the
// outbox row, sent when the change commits), and ten concurrent writers on both replicas lose
// nothing: watchers on either replica see the last snapshot and every invalidation exactly once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distribution, startTestControl, type TestControl } from '../../src/control/testing/harness.js';
import { openStream, type EventStream } from '../../src/control/testing/sse-client.js';
import { needs } from '../harness/needs.js';
import { inSchema, missingPostgres, scratchSchema } from '../harness/services.js';

const missing = await missingPostgres();
/** The bound: a change on one replica reaches PoPs on another within a second. */
const WITHIN_MS = 1000;

describe('fan-out across two control replicas on one PostgreSQL (no NATS)', { skip: needs(missing) }, () => {
  let a: TestControl;
  let b: TestControl;
  let drop: () => Promise<void>;
  let root: string;
  const streams: EventStream[] = [];
  const tokens: Record<string, string> = {};

  const watch = async (t: TestControl, pop: string) => {
    const reg = await t.api(
      'POST',
      '/edge/register',
      { pop, region: 'r', appliedVersion: 0, edgeVersion: 'test' },
      { token: tokens[pop] },
    );
    assert.equal(reg.status, 200, reg.text);
    const latest = reg.body.latestVersion as number;
    const s = await openStream(`${t.control.url}/api/v1/edge/watch?after=${latest}`, tokens[pop]!);
    streams.push(s);
    assert.equal(s.status, 200);
    return s;
  };

  before(async () => {
    const s = await scratchSchema();
    drop = s.drop;
    const url = inSchema(s.schema);
    root = mkdtempSync(join(tmpdir(), 'verge-fanout-'));
    a = await startTestControl({ store: url, dir: join(root, 'a') });
    mkdirSync(join(root, 'b', 'data'), { recursive: true, mode: 0o700 });
    copyFileSync(join(root, 'a', 'data', 'secret.key'), join(root, 'b', 'data', 'secret.key'));
    b = await startTestControl({ store: url, dir: join(root, 'b'), adminToken: a.adminToken });
    for (const pop of ['pa', 'pb'])
      tokens[pop] = (await a.api('POST', '/tokens', { name: pop, kind: 'edge', pop })).body.token;
    assert.equal((await a.api('POST', '/distributions', distribution('shop'))).status, 201);
  });
  after(async () => {
    for (const s of streams) await s.close();
    await b?.close();
    await a?.close();
    await drop?.();
    rmSync(root, { recursive: true, force: true });
  });

  test('a snapshot and an invalidation made through A reach a PoP watching B within a second', async () => {
    const onB = await watch(b, 'pb');
    const put = await a.api('PUT', '/distributions/shop', distribution('shop', { comment: 'via A' }), {
      ifMatch: '"r1"',
    });
    assert.equal(put.status, 200, put.text);
    const latest = (await a.api('GET', '/deployments?limit=1')).body.items[0].version as number;
    const snap = await onB.next('snapshot', WITHIN_MS);
    assert.equal(snap.data.version, latest);
    const inv = await a.api('POST', '/invalidations', { distributionId: 'shop', paths: ['/img/*'] });
    assert.equal(inv.status, 201, inv.text);
    const ev = await onB.next('invalidation', WITHIN_MS);
    assert.deepEqual(ev.data, { id: inv.body.id, distributionId: 'shop', paths: ['/img/*'], tags: [] });
  });

  test('ten concurrent writers on both replicas: watchers on each see the last snapshot and every invalidation once', async () => {
    const onA = await watch(a, 'pa');
    const onB = streams[0]!;
    const seenBefore = (s: EventStream) => s.events.filter((e) => e.event === 'invalidation').length;
    const [baseA, baseB] = [seenBefore(onA), seenBefore(onB)];
    const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const answers = await Promise.all(
      ids.map(async (id, i) => {
        const t = i % 2 === 0 ? a : b;
        const d = await t.api('POST', '/distributions', distribution(id));
        const v = await t.api('POST', '/invalidations', { distributionId: 'shop', paths: [`/${id}`] });
        return [d.status, v.status, v.body.id as string] as const;
      }),
    );
    assert.deepEqual(
      answers.map(([d, v]) => [d, v]),
      ids.map(() => [201, 201]),
    );
    const last = (await b.api('GET', '/deployments?limit=1')).body.items[0].version as number;
    for (const s of [onA, onB]) {
      for (;;) {
        const e = await s.next('snapshot', WITHIN_MS);
        if (e.data.version === last) break;
        assert.ok(e.data.version < last, `snapshot ${e.data.version} after ${last}`);
      }
      for (let i = 0; i < ids.length; i++) await s.next('invalidation', WITHIN_MS);
    }
    const want = answers.map(([, , id]) => id).sort();
    for (const [s, base] of [
      [onA, baseA],
      [onB, baseB],
    ] as const) {
      const got = s.events
        .filter((e) => e.event === 'invalidation')
        .slice(base)
        .map((e) => e.data.id as string)
        .sort();
      assert.deepEqual(got, want, 'every invalidation, each once');
      const versions = s.events.filter((e) => e.event === 'snapshot').map((e) => e.data.version as number);
      assert.deepEqual(
        versions,
        [...versions].sort((x, y) => x - y),
        'snapshot numbers only go up',
      );
      assert.equal(new Set(versions).size, versions.length, 'no snapshot number twice');
    }
  });
});
