/**
 * @module bench/edge
 * `npm run bench:edge`: the edge's cache-hit path against references, in one run on one machine
 * (DESIGN section 6: benchmarks measure against a reference in the same run and print ratios).
 *
 * Contenders, each its own process on 127.0.0.1, each in front of the same in-process origin
 * serving a 1 KiB object with `Cache-Control: max-age=3600`:
 * - verge: `verge edge --workers 1 --access-log off`, warmed so that every measured request is a hit;
 * - nginx: `proxy_cache`, one worker, `access_log off` (the target: ≥ 0.7x its
 *   throughput, ≤ 2x its p99);
 * - node: a bare `node:http` server returning the object (the upper bound for any Node edge;
 *   target: verge ≥ 0.8x it);
 * - verge-2 and nginx-2: the same with `--workers 2` and `worker_processes 2` (target: verge-2
 *   ≥ 0.7x nginx-2), loaded by two wrk threads.
 * Each gets a warm-up, then `wrk -t1 -c64 -d5s --latency` (-t2 for the two-worker pair) in
 * interleaved rounds (the machine is shared, so contenders take turns and ratios are taken per
 * round, then the median).
 * Prints a table and the ratios, and writes bench/results/edge-latest.json.
 *
 * Then the large-object rows of issue 12 (bench/edge-streaming.ts: time to first byte of a miss
 * vs. the origin, a cached 1 GiB object vs. nginx, RSS with 50 viewers of 200 MB objects).
 *
 * Env: BENCH_ROUNDS (3), BENCH_DURATION (seconds per run, 5), BENCH_WARMUP (seconds, 2),
 * BENCH_LARGE=0 skips the large-object rows.
 * A missing wrk or nginx is reported with its Debian package and the script exits 0.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binaryVersion, startNginx, NGINX_MISSING, WRK_MISSING } from './lib/peers.js';
import { findBinary, freePort, httpGet, isStopping, onCleanup, startChild, stopAll, waitForHttp } from './lib/procs.js';
import { createObjectServer, OBJECT_SIZE } from './lib/object.js';
import { runWrk, type WrkResult } from './lib/wrk.js';
import { writeJsonFile } from '../test/conformance/json-file.js';
import { runStreamingRows, STREAMING_TARGETS, type StreamingResults } from './edge-streaming.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const LOAD = { threads: 1, connections: 64 };
const PATH = '/bench/1k';
const HOST = 'localhost';
const TARGET = { throughputVsNginx: 0.7, p99VsNginx: 2, throughputVsNode: 0.8, throughputWorkersVsNginx: 0.7 };

interface Contender {
  name: 'verge' | 'nginx' | 'node' | 'verge-2' | 'nginx-2';
  port: number;
  /** wrk threads (two for the two-worker pair, so the load generator is not the limit). */
  threads: number;
  runs: (WrkResult & { originFetches: number })[];
}

let originFetches = 0;

async function startOrigin(): Promise<Server> {
  const server = createObjectServer(() => originFetches++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** `verge edge` as a child process, warmed until the object is a cache hit. */
async function startVerge(originPort: number, dir: string, workers: number): Promise<number> {
  const config = {
    id: 'bench',
    aliases: [HOST],
    origins: [{ id: 'origin', domainName: '127.0.0.1', port: originPort, protocol: 'http' }],
    defaultCacheBehavior: { targetOriginId: 'origin', cachePolicy: 'CachingOptimized', compress: false },
  };
  const configPath = join(dir, `bench-distribution-${workers}.json`);
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const [port, adminPort] = [await freePort(), await freePort()];
  const args = ['--no-node-snapshot', join(root, 'bin/verge.js'), 'edge', '--config', configPath];
  args.push('--port', String(port), '--admin-port', String(adminPort), '--access-log', 'off', '--pop', 'bench');
  args.push('--workers', String(workers), '--admin-token-file', join(dir, `admin-token-${workers}`));
  const child = startChild(`verge edge --workers ${workers}`, process.execPath, args, { cwd: root });
  await waitForHttp(child, port, HOST, 60_000);
  // Each worker has its own memory tier: warm until both say Hit (new connections spread).
  for (let i = 0; i < workers; i++) await expectHit(port, 'x-cache', /^Hit from verge/);
  return port;
}

async function startNginxContender(originPort: number, workers: number): Promise<number> {
  // Its temp folder goes with stopAll() at the end.
  const nginx = await startNginx({ port: await freePort(), originPort, mode: 'bench', workers });
  await expectHit(nginx.port, 'x-cache-status', /^HIT$/);
  return nginx.port;
}

async function startBareNode(): Promise<number> {
  const port = await freePort();
  const child = startChild(
    'bare node',
    process.execPath,
    ['--import', 'tsx', join(root, 'bench/lib/bare-node-server.ts'), String(port)],
    { cwd: root },
  );
  await waitForHttp(child, port);
  return port;
}

/** Request the object until the cache says it was a hit (the first request fills the cache). */
async function expectHit(port: number, header: string, hit: RegExp): Promise<void> {
  let seen = '';
  for (let i = 0; i < 5; i++) {
    const r = await httpGet(port, PATH, HOST);
    if (r.status !== 200 || r.body.length !== OBJECT_SIZE)
      throw new Error(`GET ${PATH} on port ${port}: status ${r.status}, ${r.body.length} bytes`);
    seen = String(r.headers[header] ?? '(none)');
    if (hit.test(seen)) return;
  }
  throw new Error(`port ${port} never served ${PATH} from cache (${header}: ${seen})`);
}

async function measure(c: Contender, wrk: string, seconds: number): Promise<WrkResult & { originFetches: number }> {
  const before = originFetches;
  const r = await runWrk({
    wrk,
    url: `http://127.0.0.1:${c.port}${PATH}`,
    host: HOST,
    ...LOAD,
    threads: c.threads,
    durationSec: seconds,
  });
  return { ...r, originFetches: originFetches - before };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function ratios(cs: Record<string, Contender>): Record<string, number> {
  const per = (f: (i: number) => number): number => median(cs.verge!.runs.map((_, i) => f(i)));
  const v = cs.verge!.runs;
  const n = cs.nginx!.runs;
  const b = cs.node!.runs;
  const v2 = cs['verge-2']!.runs;
  const n2 = cs['nginx-2']!.runs;
  return {
    throughputVergeVsNginx: per((i) => v[i]!.requestsPerSec / n[i]!.requestsPerSec),
    throughputWorkersVergeVsNginx: per((i) => v2[i]!.requestsPerSec / n2[i]!.requestsPerSec),
    p99WorkersVergeVsNginx: per((i) => v2[i]!.p99Ms / n2[i]!.p99Ms),
    p99VergeVsNginx: per((i) => v[i]!.p99Ms / n[i]!.p99Ms),
    throughputVergeVsNode: per((i) => v[i]!.requestsPerSec / b[i]!.requestsPerSec),
    throughputNodeVsNginx: per((i) => b[i]!.requestsPerSec / n[i]!.requestsPerSec),
  };
}

function printTable(cs: Contender[]): void {
  const rows = [['contender', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'origin fetches']];
  for (const c of cs) {
    const errors = c.runs.reduce((a, r) => a + r.non2xx3xx + r.socketErrors, 0);
    const fetches = c.runs.reduce((a, r) => a + r.originFetches, 0);
    rows.push([
      c.name,
      fmt(median(c.runs.map((r) => r.requestsPerSec)), 0),
      fmt(median(c.runs.map((r) => r.p50Ms)), 2),
      fmt(median(c.runs.map((r) => r.p99Ms)), 2),
      String(errors),
      String(fetches),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    console.log(r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  '));
}

const fmt = (n: number, digits: number): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const wrk = findBinary('wrk');
  const missing = [wrk ? null : WRK_MISSING, findBinary('nginx') ? null : NGINX_MISSING].filter(Boolean);
  if (missing.length) {
    for (const m of missing) console.log(`bench:edge skipped: ${m}`);
    return;
  }
  const loadBefore = loadavg();
  if (loadBefore[0]! > cpus().length) {
    console.log(
      `note: the machine is busy (load ${loadBefore[0]!.toFixed(1)} on ${cpus().length} cores): expect noisy figures`,
    );
  }
  const origin = await startOrigin();
  const originPort = (origin.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'verge-bench-'));
  const removeDir = onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  try {
    console.log(`starting contenders (origin on ${originPort}) ...`);
    const contenders: Contender[] = [
      { name: 'verge', port: await startVerge(originPort, dir, 1), threads: 1, runs: [] },
      { name: 'nginx', port: await startNginxContender(originPort, 1), threads: 1, runs: [] },
      { name: 'node', port: await startBareNode(), threads: 1, runs: [] },
      { name: 'verge-2', port: await startVerge(originPort, dir, 2), threads: 2, runs: [] },
      { name: 'nginx-2', port: await startNginxContender(originPort, 2), threads: 2, runs: [] },
    ];
    for (const c of contenders) await measure(c, wrk!, WARMUP);
    console.log(
      `load: wrk -t${LOAD.threads} (-t2 for the two-worker pair) -c${LOAD.connections} -d${DURATION}s --latency, ${ROUNDS} interleaved rounds after a ${WARMUP}s warm-up each`,
    );
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so no contender always runs first (or right after another's load).
      for (let k = 0; k < contenders.length; k++) {
        const c = contenders[(round + k) % contenders.length]!;
        const r = await measure(c, wrk!, DURATION);
        c.runs.push(r);
        console.log(
          `  round ${round + 1} ${c.name.padEnd(5)} ${fmt(r.requestsPerSec, 0).padStart(8)} req/s  p99 ${fmt(r.p99Ms, 2)} ms`,
        );
      }
    }
    console.log('');
    printTable(contenders);
    const byName = Object.fromEntries(contenders.map((c) => [c.name, c]));
    const r = ratios(byName);
    console.log('');
    console.log(
      `verge/nginx throughput  ${r.throughputVergeVsNginx!.toFixed(2)}  (target >= ${TARGET.throughputVsNginx}) ${r.throughputVergeVsNginx! >= TARGET.throughputVsNginx ? 'met' : 'NOT met'}`,
    );
    console.log(
      `verge/nginx p99         ${r.p99VergeVsNginx!.toFixed(2)}  (target <= ${TARGET.p99VsNginx}) ${r.p99VergeVsNginx! <= TARGET.p99VsNginx ? 'met' : 'NOT met'}`,
    );
    console.log(
      `verge/node  throughput  ${r.throughputVergeVsNode!.toFixed(2)}  (target >= ${TARGET.throughputVsNode}) ${r.throughputVergeVsNode! >= TARGET.throughputVsNode ? 'met' : 'NOT met'}  (bare node/nginx ${r.throughputNodeVsNginx!.toFixed(2)})`,
    );
    console.log(
      `verge-2/nginx-2 throughput  ${r.throughputWorkersVergeVsNginx!.toFixed(2)}  (target >= ${TARGET.throughputWorkersVsNginx}) ${r.throughputWorkersVergeVsNginx! >= TARGET.throughputWorkersVsNginx ? 'met' : 'NOT met'}  (p99 ratio ${r.p99WorkersVergeVsNginx!.toFixed(2)})`,
    );
    let streaming: StreamingResults | null = null;
    if (process.env.BENCH_LARGE !== '0') {
      console.log('\nlarge objects (issue 12; BENCH_LARGE=0 skips them):');
      streaming = await runStreamingRows(root, dir, console.log);
      const s = streaming;
      const t = STREAMING_TARGETS;
      const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
      console.log(
        `miss ttfb verge-origin   +${s.ttfb.extraMs.toFixed(2)} ms  (target <= ${t.ttfbExtraMs} ms) ${met(s.met.ttfb)}  (bare node proxy +${(s.ttfb.proxyMs - s.ttfb.originMs).toFixed(2)})`,
      );
      console.log(
        `1 GiB hit verge/nginx    ${s.hitThroughput.ratio.toFixed(2)}  (target >= ${t.throughputVsNginx}) ${met(s.met.throughput)}`,
      );
      console.log(
        `50 x 200 MB verge RSS    ${s.rss.peakMiB.toFixed(0)} MiB  (target <= ${t.rssMiB}) ${met(s.met.rss)}`,
      );
    }
    writeResults(contenders, r, loadBefore, streaming);
  } finally {
    await stopAll();
    origin.close();
    origin.closeAllConnections();
    removeDir();
  }
}

function writeResults(
  contenders: Contender[],
  r: Record<string, number>,
  loadBefore: number[],
  streaming: StreamingResults | null,
): void {
  const out = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      node: process.version,
      loadavgBefore: loadBefore,
      loadavgAfter: loadavg(),
    },
    versions: { nginx: binaryVersion('nginx'), wrk: binaryVersion('wrk') },
    load: { ...LOAD, durationSec: DURATION, warmupSec: WARMUP, rounds: ROUNDS, objectBytes: OBJECT_SIZE },
    medians: Object.fromEntries(
      contenders.map((c) => [
        c.name,
        {
          requestsPerSec: median(c.runs.map((x) => x.requestsPerSec)),
          p50Ms: median(c.runs.map((x) => x.p50Ms)),
          p99Ms: median(c.runs.map((x) => x.p99Ms)),
        },
      ]),
    ),
    ratios: r,
    targets: {
      ...TARGET,
      met: r.throughputVergeVsNginx! >= TARGET.throughputVsNginx && r.p99VergeVsNginx! <= TARGET.p99VsNginx,
      workersMet: r.throughputWorkersVergeVsNginx! >= TARGET.throughputWorkersVsNginx,
      nodeMet: r.throughputVergeVsNode! >= TARGET.throughputVsNode,
    },
    runs: Object.fromEntries(contenders.map((c) => [c.name, c.runs])),
    largeObjects: streaming ? { ...streaming, targets: STREAMING_TARGETS } : null,
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeJsonFile(join(root, 'bench/results/edge-latest.json'), out);
  console.log('\nwrote bench/results/edge-latest.json');
}

try {
  await main();
} catch (err) {
  // After Ctrl-C the servers vanish under a running wrk: that error is expected, not a failure.
  if (!isStopping()) throw err;
}
