// Fan-out through NATS JetStream (DESIGN 4): two control replicas on one PostgreSQL, both started
// with --nats (a nats-server of the test's own), so their outbox relays race. Every change is
// relayed exactly once and in order: the invalidation stream holds each invalidation once, in
// the order the outbox committed them, and the KV pointer `latest` names the newest snapshot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { connect, type NatsConnection } from 'nats';
import { distribution, startTestControl, type TestControl } from '../../src/control/testing/harness.js';
import { INVALIDATION_STREAM, KV_BUCKET, KV_LATEST } from '../../src/shared/bus/messages.js';
import { runVerge } from '../harness/cli.js';
import { needs } from '../harness/needs.js';
import { missingNatsServer, startNats, type TestNats } from '../harness/nats.js';
import { inSchema, missingPostgres, scratchSchema } from '../harness/services.js';

const missing = (await missingPostgres()) || missingNatsServer();

describe('two control replicas relaying one outbox to NATS JetStream', { skip: needs(missing) }, () => {
  let nats: TestNats;
  let a: TestControl;
  let b: TestControl;
  let url: string;
  let drop: () => Promise<void>;
  let root: string;
  let nc: NatsConnection;

  const sql = async (q: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(q)).rows;
    } finally {
      await c.end();
    }
  };
  /** Until the outbox has nothing left to relay (bounded). */
  const drained = async () => {
    for (let i = 0; i < 200; i++) {
      const [r] = await sql('SELECT COUNT(*)::int AS n FROM outbox WHERE relayed_at IS NULL');
      if (r.n === 0) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.fail('the outbox was not relayed within 10 s');
  };

  before(async () => {
    nats = await startNats();
    const s = await scratchSchema();
    drop = s.drop;
    url = inSchema(s.schema);
    root = mkdtempSync(join(tmpdir(), 'verge-nats-'));
    a = await startTestControl({ store: url, dir: join(root, 'a'), nats: nats.url });
    mkdirSync(join(root, 'b', 'data'), { recursive: true, mode: 0o700 });
    copyFileSync(join(root, 'a', 'data', 'secret.key'), join(root, 'b', 'data', 'secret.key'));
    b = await startTestControl({ store: url, dir: join(root, 'b'), adminToken: a.adminToken, nats: nats.url });
    nc = await connect({ servers: nats.url });
  });
  after(async () => {
    await nc?.close();
    await b?.close();
    await a?.close();
    await nats?.close();
    await drop?.();
    rmSync(root, { recursive: true, force: true });
  });

  test('ten concurrent writers on both replicas: every outbox row relayed exactly once, in order', async () => {
    assert.equal((await a.api('POST', '/distributions', distribution('shop'))).status, 201);
    const ids = Array.from({ length: 10 }, (_, i) => `n${i}`);
    const made = await Promise.all(
      ids.map(async (id, i) => {
        const t = i % 2 === 0 ? a : b;
        const d = await t.api('POST', '/distributions', distribution(id));
        const v = await t.api('POST', '/invalidations', { distributionId: id, paths: [`/${id}/*`] });
        assert.deepEqual([d.status, v.status], [201, 201], d.text + v.text);
        return v.body.id as string;
      }),
    );
    await drained();
    const rows = await sql('SELECT seq, kind, payload FROM outbox ORDER BY seq');
    assert.equal(
      a.control.relay!.relayed + b.control.relay!.relayed,
      rows.length,
      'the two relays together published each row once',
    );
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(INVALIDATION_STREAM);
    const outboxOrder = rows.filter((r) => r.kind === 'invalidation').map((r) => JSON.parse(r.payload).id as string);
    assert.equal(info.state.messages, outboxOrder.length, 'one message per invalidation');
    const inStream: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++)
      inStream.push(JSON.parse((await jsm.streams.getMessage(INVALIDATION_STREAM, { seq })).string()).id);
    assert.deepEqual(inStream, outboxOrder, 'in the order the outbox committed them');
    assert.deepEqual([...inStream].sort(), [...made].sort());
    const kv = await nc.jetstream().views.kv(KV_BUCKET, { bindOnly: true });
    const latest = (await kv.get(KV_LATEST))!.json<{ version: number }>();
    const newest = (await a.api('GET', '/deployments?limit=1')).body.items[0].version as number;
    assert.equal(latest.version, newest);
    const shop = (await kv.get('dist.n9'))!.json<{ generation: number }>();
    assert.ok(shop.generation > 0 && shop.generation <= newest);
  });
});

describe('--nats on the command line', () => {
  const run = (args: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'verge-nats-cli-'));
    return runVerge(args, { url: 'http://127.0.0.1:9', token: 't', dir, timeoutMs: 30_000 }).finally(() =>
      rmSync(dir, { recursive: true, force: true }),
    );
  };

  test('verge edge --nats needs --control (bytes and acks go there); a URL that is not nats:// is refused', async () => {
    const alone = await run(['edge', '--nats', 'nats://127.0.0.1:4222']);
    assert.notEqual(alone.code, 0);
    assert.match(alone.stderr, /--nats needs --control URL/);
    const bad = await run(['control', '--nats', 'http://x', '--port', '0']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--nats must be a URL such as nats:\/\/127\.0\.0\.1:4222/);
  });
});
