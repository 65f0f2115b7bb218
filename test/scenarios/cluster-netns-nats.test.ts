/**
 * @module test/scenarios/cluster-netns-nats
 * NATS fan-out across separate hosts (issue 15): a nats-server with JetStream, a control replica
 * (`verge control --store postgres:// --nats`) and two PoPs (`verge edge --control --nats`), each
 * in a Linux network namespace of the test's own on a bridge of its own (test/harness/netns.ts);
 * the machine's PostgreSQL reached through a forwarder on the bridge; the origin and every client
 * in the test process, on the root namespace's end of the bridge. One worker per PoP, so a second
 * request lands on the cache the first one filled and origin fetches count exactly. What it shows:
 * a change through the replica reaches both PoPs over NATS; with the nats-server killed (its
 * JetStream store dir kept) the PoPs keep serving their last-known-good generation and cached
 * objects while a change and an invalidation are made; with NATS started again on the same store,
 * both PoPs serve the change and the invalidated object is a Miss (one origin fetch per PoP) while
 * an object not invalidated stays a Hit. Skips where namespaces cannot be made, PostgreSQL does not answer or
 * nats-server is not installed (fails under CI=true).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { connect } from 'nats';
import { INVALIDATION_STREAM } from '../../src/shared/bus/messages.js';
import { needs } from '../harness/needs.js';
import { NATS_SERVER_BIN, missingNatsServer } from '../harness/nats.js';
import { POSTGRES_URL, missingPostgres, scratchSchema } from '../harness/services.js';
import { Net, awaitOutput, missingNetns, until, type Host } from '../harness/netns.js';

const BIN = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));
const HOSTNAME = 'shop.test';
const missing = missingNetns() || (await missingPostgres()) || missingNatsServer();

describe('PoPs on NATS across network namespaces', { skip: needs(missing) }, () => {
  let net: Net;
  let root: string;
  let drop: () => Promise<void>;
  let origin: Server;
  let originPort = 0;
  const fetched: Record<string, number> = {};
  let natsHost: Host;
  let nats: ChildProcess | undefined;
  let replica = '';
  const pops: Array<{ host: Host; child: ChildProcess; url: string }> = [];
  let token = '';

  const api = async (method: string, path: string, body?: unknown, ifMatch?: string) => {
    const r = await fetch(`${replica}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(ifMatch ? { 'if-match': ifMatch } : {}) }, // prettier-ignore
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await r.text();
    return { status: r.status, etag: r.headers.get('etag') ?? '', body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text }; // prettier-ignore
  };
  const viewer = async (pop: { url: string }, path: string) => {
    // fetch() drops a Host header; undici's request sends it.
    const r = await request(pop.url + path, { headers: { host: HOSTNAME }, headersTimeout: 5000, bodyTimeout: 5000 });
    return { status: r.statusCode, text: await r.body.text(), cache: String(r.headers['x-cache'] ?? '') };
  };
  const shop = (tag: string) => ({
    id: 'shop',
    aliases: [HOSTNAME],
    origins: [
      { id: 'o', domainName: net.gateway, port: originPort, protocol: 'http', customHeaders: { 'x-tag': tag } },
    ],
    defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingDisabled' },
    cacheBehaviors: [{ pathPattern: '/cached/*', targetOriginId: 'o', cachePolicy: 'CachingOptimized' }],
  });
  const setTag = async (tag: string) => {
    const cur = await api('GET', '/distributions/shop');
    const put = await api('PUT', '/distributions/shop', shop(tag), cur.etag);
    assert.equal(put.status, 200, put.text);
  };
  const serving = (tag: string, timeoutMs: number) =>
    Promise.all(pops.map((p) => until(`${p.host.name} serving ${tag}`, async () => { const v = await viewer(p, '/x'); if (v.text !== `${tag} /x`) throw new Error(`${v.status} ${v.text.slice(0, 300)}`); return true; }, timeoutMs))); // prettier-ignore

  /** nats-server in its own host, on the same address, port and JetStream store dir every time. */
  const startNats = async () => {
    const c = net.spawn(natsHost, NATS_SERVER_BIN!, ['-a', natsHost.ip, '-p', '4222', '-js', '-sd', join(root, 'nats')]); // prettier-ignore
    await awaitOutput(c, /Server is ready/, 'nats-server', 30_000);
    nats = c;
  };
  const killNats = async () => {
    const c = nats!;
    nats = undefined;
    const gone = new Promise((r) => c.once('exit', r));
    process.kill(-c.pid!, 'SIGKILL');
    await gone;
  };

  /** The invalidation stream's last sequence, asked from the test process over the bridge. */
  const streamLastSeq = async () => {
    const nc = await connect({ servers: `nats://${natsHost.ip}:4222`, reconnect: false, timeout: 2000 });
    try {
      return (await (await nc.jetstreamManager()).streams.info(INVALIDATION_STREAM)).state.last_seq;
    } finally {
      await nc.close();
    }
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'verge-netns-nats-'));
    mkdirSync(join(root, 'nats'));
    net = Net.create();
    origin = createServer((req, res) => {
      fetched[req.url!] = (fetched[req.url!] ?? 0) + 1;
      const cached = req.url!.startsWith('/cached/');
      res
        .writeHead(200, { 'cache-control': cached ? 'max-age=600' : 'no-store', 'content-type': 'text/plain' })
        .end(`${String(req.headers['x-tag'])} ${req.url}`);
    });
    await new Promise<void>((r) => origin.listen(0, net.gateway, r));
    originPort = (origin.address() as { port: number }).port;
    natsHost = net.host('nats');
    await startNats();
    const natsUrl = `nats://${natsHost.ip}:4222`;
    const s = await scratchSchema();
    drop = s.drop;
    const pg = new URL(POSTGRES_URL);
    pg.hostname = net.gateway;
    pg.port = String(await net.forward(Number(new URL(POSTGRES_URL).port || 5432)));
    pg.searchParams.set('options', `-c search_path=${s.schema}`);
    const ctl = net.host('ctl');
    const control = net.spawn(ctl, process.execPath, ['--no-node-snapshot', BIN, 'control', '--host', ctl.ip, '--port', '8080', '--data-dir', join(root, 'ctl'), '--store', pg.toString(), '--nats', natsUrl]); // prettier-ignore
    await awaitOutput(control, /^control plane\s+http/m, 'the control replica');
    replica = `http://${ctl.ip}:8080`;
    token = readFileSync(join(root, 'ctl', 'admin-token'), 'utf8').trim();
    assert.equal((await api('POST', '/distributions', shop('v1'))).status, 201);
    for (const name of ['pop-1', 'pop-2']) {
      const host = net.host(name);
      const { body } = await api('POST', '/tokens', { name, kind: 'edge', pop: name });
      const child = net.spawn(host, process.execPath, ['--no-node-snapshot', BIN, 'edge', '--control', replica, '--nats', natsUrl, '--pop', name, '--region', 'eu', '--host', host.ip, '--port', '8080', '--admin-port', '9901', '--workers', '1', '--data-dir', join(root, name)], { VERGE_EDGE_TOKEN: String(body.token) }); // prettier-ignore
      await awaitOutput(child, /^viewers\s+http/m, `PoP ${name}`);
      pops.push({ host, child, url: `http://${host.ip}:8080` });
    }
    await serving('v1', 30_000);
  });
  after(async () => {
    await net?.destroy();
    origin?.close();
    await drop?.();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('a change through the replica reaches both PoPs over NATS', async () => {
    await setTag('v2');
    await serving('v2', 15_000);
    for (const p of pops) {
      for (const path of ['/cached/item', '/cached/other']) {
        assert.match((await viewer(p, path)).cache, /^Miss/, `${p.host.name} ${path} first`);
        assert.match((await viewer(p, path)).cache, /^Hit/, `${p.host.name} ${path} second`);
      }
    }
    assert.deepEqual([fetched['/cached/item'], fetched['/cached/other']], [2, 2], 'one origin fetch per PoP');
  });

  test('NATS stopped: PoPs keep their last-known-good generation, then catch up with what was sent meanwhile', async () => {
    // Watched before the kill: the PoPs' own word that their NATS session is gone.
    const seqBefore = await streamLastSeq();
    const noticed = pops.map((p) => awaitOutput(p.child, /connection lost/, `${p.host.name} noticing NATS gone`, 15_000)); // prettier-ignore
    await killNats();
    await Promise.all(noticed);
    for (const p of pops) {
      assert.deepEqual((await viewer(p, '/x')).text, 'v2 /x', `${p.host.name} answers with its generation`);
      assert.match((await viewer(p, '/cached/item')).cache, /^Hit/, `${p.host.name} serves from its cache`);
    }
    const inv = await api('POST', '/invalidations', { distributionId: 'shop', paths: ['/cached/item'] });
    assert.equal(inv.status, 201, inv.text);
    await setTag('v3');
    for (const p of pops) {
      const x = await viewer(p, '/x');
      assert.deepEqual([x.status, x.text], [200, 'v2 /x'], `${p.host.name} keeps the last-known-good generation`);
      const item = await viewer(p, '/cached/item');
      assert.deepEqual([item.cache, item.text], ['Hit from verge', 'v2 /cached/item'], `${p.host.name}: the invalidation has not reached it`); // prettier-ignore
    }
    assert.equal(fetched['/cached/item'], 2);

    // The PoPs are held off until the relay has put the invalidation into the stream again, so
    // what they get is the replay from their cursor (not a live message that happens to come after
    // they reconnect).
    for (const p of pops) net.partition(p.host, true);
    try {
      await startNats();
      await until('the relay put the invalidation into the stream', async () => ((await streamLastSeq()) > seqBefore ? true : undefined), 30_000); // prettier-ignore
    } finally {
      for (const p of pops) net.partition(p.host, false);
    }
    // The PoPs retry with backoff (up to 10 s after a register that timed out at 10 s).
    await serving('v3', 60_000);
    for (const p of pops) {
      // The first request after the invalidation lands is the Miss; until then the cache answers.
      const miss = await until(`${p.host.name} missing the invalidated object`, async () => { const r = await viewer(p, '/cached/item'); return /^Miss/.test(r.cache) ? r : undefined; }, 30_000); // prettier-ignore
      assert.equal(miss.text, 'v3 /cached/item', `${p.host.name} fetched it again under the new generation`);
      assert.match((await viewer(p, '/cached/item')).cache, /^Hit/, `${p.host.name} caches it again`);
      const other = await viewer(p, '/cached/other');
      assert.deepEqual([other.cache, other.text], ['Hit from verge', 'v2 /cached/other'], `${p.host.name}: what was not invalidated stays cached`); // prettier-ignore
    }
    assert.equal(fetched['/cached/item'], 4, 'one origin fetch per PoP after the invalidation');
    assert.equal(fetched['/cached/other'], 2, 'nothing else was fetched again');
  });
});
