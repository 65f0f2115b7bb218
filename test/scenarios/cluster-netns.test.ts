/**
 * @module test/scenarios/cluster-netns
 * A cluster as separate hosts (issue 15): two control replicas and three PoPs, each in a Linux
 * network namespace of the test's own on a bridge of its own (test/harness/netns.ts), the real
 * `verge control --store postgres://` and `verge edge --control` processes; the machine's
 * PostgreSQL reached through a forwarder on the bridge; the origin and every client in the
 * test process, on the root namespace's end of the bridge. PoPs 1 and 2 watch replica A (given
 * `--control A,B`), PoP 3 watches B; a regional edge cache (a fourth PoP host, also given A,B)
 * serves the tiered behavior. What it shows:
 * a change through A reaches the PoP watching B; ten concurrent writers on both replicas lose
 * nothing; three PoPs' concurrent misses through the regional make one origin fetch; a PoP cut off
 * for 30 s converges after; with A killed, the API and every PoP carry on through B (A's PoPs
 * move to B, the second URL they were given).
 * Skips where namespaces cannot be made or PostgreSQL does not answer (fails under CI=true).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { needs } from '../harness/needs.js';
import { POSTGRES_URL, missingPostgres, scratchSchema } from '../harness/services.js';
import { Net, awaitOutput, missingNetns, pause, until, type Host } from '../harness/netns.js';

const BIN = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));
const SECRET = 'netns-tier-secret';
const HOSTNAME = 'shop.test';
const missing = missingNetns() || (await missingPostgres());

describe('a cluster across network namespaces', { skip: needs(missing) }, () => {
  let net: Net;
  let root: string;
  let drop: () => Promise<void>;
  let origin: Server;
  let originPort = 0;
  const fetched: Record<string, number> = {};
  const replicas: Record<'a' | 'b', { host: Host; child: ChildProcess; url: string }> = {} as never;
  const pops: Array<{ host: Host; child: ChildProcess; url: string }> = [];
  let token = '';

  const api = async (base: string, method: string, path: string, body?: unknown, ifMatch?: string) => {
    const r = await fetch(`${base}/api/v1${path}`, {
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
    return { status: r.statusCode, text: await r.body.text() };
  };
  const shop = (tag: string) => ({
    id: 'shop',
    aliases: [HOSTNAME],
    origins: [
      { id: 'o', domainName: net.gateway, port: originPort, protocol: 'http', customHeaders: { 'x-tag': tag } },
    ],
    defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingDisabled' },
    cacheBehaviors: [{ pathPattern: '/tiered/*', targetOriginId: 'o', cachePolicy: 'CachingOptimized' }],
  });
  const setTag = async (base: string, tag: string) => {
    const cur = await api(base, 'GET', '/distributions/shop');
    const put = await api(base, 'PUT', '/distributions/shop', shop(tag), cur.etag);
    assert.equal(put.status, 200, put.text);
  };

  const startReplica = async (name: 'a' | 'b', host: Host, store: string) => {
    const dir = join(root, name);
    const child = net.spawn(host, process.execPath, ['--no-node-snapshot', BIN, 'control', '--host', host.ip, '--port', '8080', '--data-dir', dir, '--store', store]); // prettier-ignore
    await awaitOutput(child, /^control plane\s+http/m, `replica ${name}`);
    replicas[name] = { host, child, url: `http://${host.ip}:8080` };
  };
  const startPop = async (host: Host, control: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) => {
    const { body } = await api(replicas.a.url, 'POST', '/tokens', { name: host.name, kind: 'edge', pop: host.name });
    const child = net.spawn(host, process.execPath, ['--no-node-snapshot', BIN, 'edge', '--control', control, '--pop', host.name, '--region', 'eu', '--host', host.ip, '--port', '8080', '--admin-port', '9901', '--data-dir', join(root, host.name), ...extra], { VERGE_EDGE_TOKEN: String(body.token), ...env }); // prettier-ignore
    await awaitOutput(child, /^viewers\s+http/m, `PoP ${host.name}`);
    return { host, child, url: `http://${host.ip}:8080` };
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'verge-netns-'));
    net = Net.create();
    origin = createServer((req, res) => {
      fetched[req.url!] = (fetched[req.url!] ?? 0) + 1;
      const tiered = req.url!.startsWith('/tiered/');
      setTimeout(
        () =>
          res
            .writeHead(200, { 'cache-control': tiered ? 'max-age=60' : 'no-store', 'content-type': 'text/plain' })
            .end(`${String(req.headers['x-tag'])} ${req.url}`),
        tiered ? 300 : 0,
      );
    });
    await new Promise<void>((r) => origin.listen(0, net.gateway, r));
    originPort = (origin.address() as { port: number }).port;
    const s = await scratchSchema();
    drop = s.drop;
    const pg = new URL(POSTGRES_URL);
    pg.hostname = net.gateway;
    pg.port = String(await net.forward(Number(new URL(POSTGRES_URL).port || 5432)));
    pg.searchParams.set('options', `-c search_path=${s.schema}`);
    await startReplica('a', net.host('ctl-a'), pg.toString());
    mkdirSync(join(root, 'b'), { recursive: true, mode: 0o700 });
    copyFileSync(join(root, 'a', 'secret.key'), join(root, 'b', 'secret.key'));
    token = readFileSync(join(root, 'a', 'admin-token'), 'utf8').trim();
    await startReplica('b', net.host('ctl-b'), pg.toString());
    assert.equal((await api(replicas.a.url, 'POST', '/distributions', shop('v1'))).status, 201);
    // A's PoPs are given B too: when A dies they move there.
    const both = `${replicas.a.url},${replicas.b.url}`;
    const regional = await startPop(net.host('rec'), both, ['--role', 'regional'], {
      VERGE_TIER_SECRET: SECRET,
    });
    const tier = ['--regional', regional.url];
    pops.push(await startPop(net.host('pop-1'), both, tier, { VERGE_TIER_SECRET: SECRET }));
    pops.push(await startPop(net.host('pop-2'), both, tier, { VERGE_TIER_SECRET: SECRET }));
    pops.push(await startPop(net.host('pop-3'), replicas.b.url, tier, { VERGE_TIER_SECRET: SECRET }));
    for (const p of pops) await until(`${p.host.name} serving`, async () => { const v = await viewer(p, '/x'); if (v.text !== 'v1 /x') throw new Error(`${v.status} ${v.text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 600)}`); return true; }, 30_000); // prettier-ignore
  });
  after(async () => {
    await net?.destroy();
    origin?.close();
    await drop?.();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('a change through replica A reaches the PoP watching replica B', async () => {
    await setTag(replicas.a.url, 'v2');
    for (const p of pops) await until(`${p.host.name} serving v2`, async () => ((await viewer(p, '/x')).text === 'v2 /x' ? true : undefined), 15_000); // prettier-ignore
  });

  test('ten concurrent writers on two replicas lose nothing', async () => {
    const writes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api(i % 2 ? replicas.b.url : replicas.a.url, 'POST', '/kvs', { name: `kv${i}`, data: { k: String(i) } }),
      ),
    );
    assert.deepEqual(writes.map((w) => w.status), Array(10).fill(201)); // prettier-ignore
    for (const r of [replicas.a, replicas.b]) {
      const names = ((await api(r.url, 'GET', '/kvs')).body.items as Array<{ name: string }>).map((k) => k.name).sort();
      assert.deepEqual(names, Array.from({ length: 10 }, (_, i) => `kv${i}`).sort());
    }
  });

  test("through the regional edge cache, three PoPs' concurrent misses make one origin fetch", async () => {
    const answers = await Promise.all(pops.map((p) => viewer(p, '/tiered/a.css')));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]); // prettier-ignore
    assert.equal(fetched['/tiered/a.css'], 1);
  });

  test('a PoP cut off for 30 s converges after', async () => {
    const cut = pops[1]!;
    net.partition(cut.host, true);
    try {
      await setTag(replicas.a.url, 'v3');
      await until('pop-1 serving v3', async () => ((await viewer(pops[0]!, '/x')).text === 'v3 /x' ? true : undefined), 15_000); // prettier-ignore
      await assert.rejects(viewer(cut, '/x'), 'the cut PoP cannot be reached');
      await pause(30_000);
    } finally {
      net.partition(cut.host, false);
    }
    await until('pop-2 serving v3 after the partition', async () => ((await viewer(cut, '/x')).text === 'v3 /x' ? true : undefined), 60_000); // prettier-ignore
  });

  test("with replica A killed, the API and every PoP carry on through B (A's PoPs move there)", async () => {
    replicas.a.child.kill('SIGKILL');
    await new Promise((r) => replicas.a.child.once('exit', r));
    await setTag(replicas.b.url, 'v4');
    // pop-1 and pop-2 followed A: serving v4 means they moved to B and fetched the change there.
    // The bound is past the PoP's own one for noticing a dead replica (its watch stream silent
    // for 45 s, then a backoff of up to 10 s); a killed replica's FIN usually tells it at once.
    for (const p of pops) {
      try {
        await until(`${p.host.name} serving v4`, async () => ((await viewer(p, '/x')).text === 'v4 /x' ? true : undefined), 60_000); // prettier-ignore
      } catch (e) {
        const logs = [p.host, replicas.b.host].map((h) => `--- ${h.name}:\n${net.output(h)}`).join('\n');
        throw new Error(`${(e as Error).message}\n${logs}`);
      }
    }
    await until('shop Deployed on B (every PoP acked v4 there)', async () => ((await api(replicas.b.url, 'GET', '/distributions/shop')).body.status === 'Deployed' ? true : undefined), 30_000); // prettier-ignore
  });
});
