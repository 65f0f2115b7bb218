/**
 * @module bench/propagation
 * `npm run bench:propagation`: how fast a change reaches every PoP (issue 4). The control plane
 * runs in this process; three edges run as child processes in managed mode (`verge edge
 * --control`), exactly as `verge up` starts them; an origin serves a cacheable object.
 * - Deploy: from the API call that attaches a new function version (`POST /triggers`) until
 *   all three PoPs serve it (each PoP polled every few ms for the version's `X-Fn` header).
 *   Target p50 ≤ 1 s. CloudFront documents 5 to 45 minutes for the same step.
 * - Invalidation: from `POST /invalidations` until all three PoPs miss the object.
 *   Target p50 ≤ 300 ms.
 * RUNS (default 20) of each; prints p50 and max, the targets, and the figures as JSON.
 * - Cluster (./propagation-cluster.ts): a change through one of two PostgreSQL-backed replicas
 *   until 3 and then 100 simulated PoPs on both replicas have it; p50 and p99, target p50 ≤ 1 s.
 *   CLUSTER_ONLY=1 runs only these rows.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/shared/log.js';
import { startControl } from '../src/control/index.js';
import { VERGE_BIN } from '../src/cli/supervisor.js';
import { adminApi, type Api } from '../src/cli/up-seed.js';
import { freePort, httpGet, onCleanup, startChild, stopAll, waitForHttp } from './lib/procs.js';
import { clusterLines, clusterRows } from './propagation-cluster.js';

const RUNS = Number(process.env.RUNS ?? 20);
const POLL_MS = 5;
const HOST = 'bench.test';
const POPS = ['us-east-1', 'eu-west-1', 'ap-south-1'];

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tagger(tag: string): string {
  return `exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-fn'] = [{ key: 'X-Fn', value: '${tag}' }]; return r; };`;
}

/** Poll every PoP until `done(pop)` holds for all of them; returns ms since `t0` when the last one did. */
async function untilAll(
  ports: number[],
  t0: number,
  done: (port: number) => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<number> {
  const pending = new Set(ports);
  let last = 0;
  while (pending.size > 0) {
    await Promise.all(
      [...pending].map(async (p) => {
        if (await done(p).catch(() => false)) {
          pending.delete(p);
          last = performance.now() - t0;
        }
      }),
    );
    if (pending.size === 0) break;
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`ports ${[...pending].join(', ')} did not get there in ${timeoutMs} ms`);
    await pause(POLL_MS);
  }
  return last;
}

async function setUp(): Promise<{ api: Api; ports: number[]; dir: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'verge-bench-prop-'));
  const origin = createServer((_req, res) =>
    res.writeHead(200, { 'cache-control': 'max-age=3600', 'content-type': 'text/plain' }).end('object\n'),
  );
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
  const control = await startControl({
    port: 0,
    host: '127.0.0.1',
    dataDir: join(dir, 'control'),
    logger: silentLogger,
  });
  const api = adminApi(control.url, readFileSync(join(dir, 'control', 'admin-token'), 'utf8').trim());
  const ports: number[] = [];
  for (const pop of POPS) {
    const { token } = await api<{ token: string }>('POST', '/tokens', { name: `bench ${pop}`, kind: 'edge', pop });
    const port = await freePort();
    const adminPort = await freePort();
    const child = startChild(pop, process.execPath, [
      '--no-node-snapshot', VERGE_BIN, 'edge', '--control', control.url, '--pop', pop, '--region', pop.replace(/-\d+$/, ''),
      '--host', '127.0.0.1', '--port', String(port), '--admin-port', String(adminPort), '--data-dir', join(dir, pop),
    ], { env: { ...process.env, VERGE_EDGE_TOKEN: token } }); // prettier-ignore
    await waitForHttp(child, port, HOST);
    ports.push(port);
  }
  await api('POST', '/distributions', {
    id: 'bench',
    aliases: [HOST],
    origins: [{ id: 'o', domainName: '127.0.0.1', port: (origin.address() as AddressInfo).port, protocol: 'http' }],
    defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingOptimized' },
  });
  await api('POST', '/functions', {
    name: 'tagger',
    runtime: 'nodejs',
    handler: 'index.handler',
    code: { files: { 'index.js': tagger('v0') } },
  });
  return {
    api,
    ports,
    dir,
    async close() {
      await stopAll();
      await control.close();
      origin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One deploy run: publish (not timed), then time POST /triggers → every PoP serving the tag. */
async function deployRun(api: Api, ports: number[], i: number): Promise<number> {
  const tag = `v${i}`;
  await api('PUT', '/functions/tagger/code', { code: { files: { 'index.js': tagger(tag) } } });
  const { version } = await api<{ version: number }>('POST', '/functions/tagger/publish', {});
  const t0 = performance.now();
  await api('POST', '/triggers', {
    distributionId: 'bench',
    behavior: 'default',
    eventType: 'viewer-response',
    function: `tagger:${version}`,
  });
  return untilAll(ports, t0, async (p) => (await httpGet(p, '/obj', HOST)).headers['x-fn'] === tag);
}

/** One invalidation run: make `/obj` a hit everywhere, then time POST /invalidations → every PoP missing. */
async function invalidationRun(api: Api, ports: number[]): Promise<number> {
  for (const p of ports) {
    await httpGet(p, '/obj', HOST);
    if ((await httpGet(p, '/obj', HOST)).headers['x-cache'] !== 'Hit from verge')
      throw new Error(`port ${p}: /obj is not a hit`);
  }
  const t0 = performance.now();
  await api('POST', '/invalidations', { distributionId: 'bench', paths: ['/obj'] });
  return untilAll(ports, t0, async (p) => (await httpGet(p, '/obj', HOST)).headers['x-cache'] === 'Miss from verge');
}

async function main(): Promise<void> {
  if (process.env.CLUSTER_ONLY !== '1') await singleNode();
  const rows = await clusterRows(Number(process.env.CLUSTER_RUNS ?? RUNS));
  if (typeof rows === 'string') console.log(`cluster rows ${rows}`);
  else {
    for (const line of clusterLines(rows)) console.log(line);
    console.log(JSON.stringify({ cluster: rows.map((r) => ({ pops: r.pops, ms: r.ms.map(Math.round) })) }));
  }
}

async function singleNode(): Promise<void> {
  const env = await setUp();
  onCleanup(() => rmSync(env.dir, { recursive: true, force: true }));
  try {
    await deployRun(env.api, env.ports, 0); // warm-up: first isolate builds, first bundle downloads
    const deploy: number[] = [];
    for (let i = 1; i <= RUNS; i++) deploy.push(await deployRun(env.api, env.ports, i));
    const inval: number[] = [];
    for (let i = 0; i < RUNS; i++) inval.push(await invalidationRun(env.api, env.ports));
    report(deploy, inval);
  } finally {
    await env.close();
  }
}

function report(deploy: number[], inval: number[]): void {
  const f = (ms: number) => `${ms.toFixed(0)} ms`;
  const line = (name: string, xs: number[], target: number) => {
    const p50 = quantile(xs, 0.5);
    return `${name.padEnd(38)} p50 ${f(p50).padStart(7)}   max ${f(Math.max(...xs)).padStart(7)}   target p50 ≤ ${target} ms  ${p50 <= target ? 'met' : 'MISSED'}`;
  };
  console.log(
    `propagation to ${POPS.length} PoPs, ${RUNS} runs each (${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}):`,
  );
  console.log(line('attach new version → all PoPs serve it', deploy, 1000));
  console.log(line('invalidation → all PoPs miss', inval, 300));
  console.log(JSON.stringify({ deployMs: deploy.map(Math.round), invalidationMs: inval.map(Math.round) }));
}

await main();
