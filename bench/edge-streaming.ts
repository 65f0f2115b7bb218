/**
 * @module bench/edge-streaming
 * The large-object rows of `npm run bench:edge` (issue 12), against the pattern origin of
 * test/harness/pattern-origin.ts (bodies never held in memory), with `verge edge` and nginx
 * (`proxy_cache` on disk) as child processes:
 * - time to first byte of a miss through verge vs. the origin direct (target: at most 2 ms more),
 *   median of interleaved cold requests for distinct 1 MiB objects, with a bare Node proxy
 *   (bench/lib/bare-node-proxy.ts) in the same interleave as the cost of the hops themselves.
 *   Each object's pattern is made before the timing (making one takes the origin 2-8 ms, which
 *   was half the "origin direct" figure), and a few misses on each path first warm the code;
 * - throughput of a cached 1 GiB object through verge vs. nginx (target ≥ 0.8x), `curl` to
 *   /dev/null, median ratio of interleaved rounds;
 * - verge's peak RSS while 50 viewers each download a different cold 200 MB object (target
 *   ≤ 512 MiB), sampled from /proc every 100 ms.
 * Bounded: curl has a deadline per download, and sizes shrink with BENCH_LARGE_SCALE (default 1);
 * BENCH_LARGE_ROUNDS (default 3) sets the throughput rounds. `npm run bench:edge` runs these
 * rows after the hit-path ones; `node --no-node-snapshot --import tsx bench/edge-streaming.ts`
 * runs them alone.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { patternBytes, startPatternOrigin, type PatternOrigin } from '../test/harness/pattern-origin.js';
import { startNginx } from './lib/peers.js';
import { freePort, startChild, stopAll, waitForHttp, type Child } from './lib/procs.js';

const MiB = 1024 * 1024;
const HOST = 'localhost';
const SCALE = Number(process.env.BENCH_LARGE_SCALE ?? 1);
export const STREAMING_TARGETS = { ttfbExtraMs: 2, throughputVsNginx: 0.8, rssMiB: 512 };

export interface StreamingResults {
  /** `proxyMs`: the same misses through a bare Node proxy (the hops alone). */
  ttfb: { originMs: number; proxyMs: number; vergeMs: number; extraMs: number; overProxyMs: number; samples: number };
  hitThroughput: { objectMiB: number; vergeMiBps: number; nginxMiBps: number; ratio: number; rounds: number };
  rss: { viewers: number; objectMB: number; baselineMiB: number; peakMiB: number; seconds: number };
  met: { ttfb: boolean; throughput: boolean; rss: boolean };
}

/** Time from sending a GET to its first body byte, then the rest is read and dropped. */
function firstByteMs(port: number, path: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let first = -1;
    const req = request({ host: '127.0.0.1', port, path, headers: { host: HOST }, agent }, (res) => {
      res.on('data', () => {
        if (first < 0) first = Number(process.hrtime.bigint() - t0) / 1e6;
      });
      res.on('end', () => resolve(first));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `curl` a URL to /dev/null; resolves with MiB/s. */
function curlMiBps(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile(
      'curl',
      [
        '-s',
        '-o',
        '/dev/null',
        '-H',
        `Host: ${HOST}`,
        '-w',
        '%{speed_download} %{http_code}',
        `http://127.0.0.1:${port}${path}`,
      ],
      { timeout: 120_000 },
      (err, out) => {
        if (err) return reject(err);
        const [speed, code] = out.trim().split(' ');
        if (code !== '200') return reject(new Error(`curl ${path}: HTTP ${code}`));
        resolve(Number(speed) / MiB);
      },
    ),
  );
}

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function startVergeDisk(root: string, dir: string, originPort: number): Promise<{ port: number; child: Child }> {
  const config = {
    id: 'bench-large',
    aliases: [HOST],
    origins: [{ id: 'origin', domainName: '127.0.0.1', port: originPort, protocol: 'http', readTimeout: 60 }],
    defaultCacheBehavior: { targetOriginId: 'origin', cachePolicy: 'CachingOptimized', compress: false },
  };
  const configPath = join(dir, 'bench-large.json');
  writeFileSync(configPath, JSON.stringify(config));
  const [port, adminPort] = [await freePort(), await freePort()];
  const diskMiB = Math.ceil((50 * 200 * 1e6 * SCALE + 2 * 1024 * MiB * SCALE) / MiB) + 1024;
  const args = ['--no-node-snapshot', join(root, 'bin/verge.js'), 'edge', '--config', configPath];
  args.push('--port', String(port), '--admin-port', String(adminPort), '--access-log', 'off', '--pop', 'bench');
  // One process, like nginx's one worker, so RSS is one edge's.
  args.push('--workers', '1', '--data-dir', join(dir, 'verge-large'), '--cache-disk-size', String(diskMiB));
  const child = startChild('verge edge (disk)', process.execPath, args, { cwd: root });
  await waitForHttp(child, port, HOST, 60_000);
  return { port, child };
}

async function startBareProxy(root: string, originPort: number): Promise<number> {
  const port = await freePort();
  const args = ['--import', 'tsx', join(root, 'bench/lib/bare-node-proxy.ts'), String(port), String(originPort)];
  const child = startChild('bare node proxy', process.execPath, args, { cwd: root });
  await waitForHttp(child, port);
  return port;
}

/** Run the three rows; `log` prints progress. */
export async function runStreamingRows(root: string, dir: string, log: (s: string) => void): Promise<StreamingResults> {
  const origin: PatternOrigin = await startPatternOrigin();
  try {
    const verge = await startVergeDisk(root, dir, origin.port);
    const nginx = await startNginx({ port: await freePort(), originPort: origin.port, mode: 'bench', maxSize: '4g' });
    const proxyPort = await startBareProxy(root, origin.port);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    let seed = 1000;

    // 1. Time to first byte of a miss: interleaved, each request a new object (a cold miss).
    // The patterns are made first, so the origin's answer costs what a real origin's would.
    const samples = 40;
    const warmup = 5;
    for (let s = seed; s < seed + 3 * (samples + warmup); s++) patternBytes(s, 0, 1);
    const direct: number[] = [];
    const proxied: number[] = [];
    const through: number[] = [];
    for (let i = 0; i < warmup + samples; i++) {
      const d = await firstByteMs(origin.port, `/obj/${seed++}/${MiB}/plain`, agent);
      const p = await firstByteMs(proxyPort, `/obj/${seed++}/${MiB}/plain`, agent);
      const v = await firstByteMs(verge.port, `/obj/${seed++}/${MiB}/plain`, agent);
      if (i < warmup) continue;
      direct.push(d);
      proxied.push(p);
      through.push(v);
    }
    agent.destroy();
    const ttfb = {
      originMs: median(direct),
      proxyMs: median(proxied),
      vergeMs: median(through),
      extraMs: 0,
      overProxyMs: 0,
      samples,
    };
    ttfb.extraMs = ttfb.vergeMs - ttfb.originMs;
    ttfb.overProxyMs = ttfb.vergeMs - ttfb.proxyMs;
    log(
      `  ttfb of a miss: origin ${ttfb.originMs.toFixed(2)} ms, bare node proxy ${ttfb.proxyMs.toFixed(2)} ms, ` +
        `verge ${ttfb.vergeMs.toFixed(2)} ms (+${ttfb.extraMs.toFixed(2)} over the origin, ` +
        `${ttfb.overProxyMs >= 0 ? '+' : ''}${ttfb.overProxyMs.toFixed(2)} over the bare proxy)`,
    );

    // 2. A cached 1 GiB object: warm both caches, then interleaved curl rounds.
    const bigPath = `/obj/7/${Math.round(1024 * MiB * SCALE)}/plain`;
    await curlMiBps(verge.port, bigPath);
    await curlMiBps(nginx.port, bigPath);
    const ratios: number[] = [];
    const v: number[] = [];
    const n: number[] = [];
    const rounds = Number(process.env.BENCH_LARGE_ROUNDS ?? 3);
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so neither always runs right after the other's load.
      let c = NaN;
      if (r % 2 === 0) c = await curlMiBps(verge.port, bigPath);
      const b = await curlMiBps(nginx.port, bigPath);
      if (r % 2 === 1) c = await curlMiBps(verge.port, bigPath);
      v.push(c);
      n.push(b);
      ratios.push(c / b);
      log(`  round ${r + 1}: verge ${c.toFixed(0)} MiB/s, nginx ${b.toFixed(0)} MiB/s`);
    }
    const hitThroughput = {
      objectMiB: Math.round(1024 * SCALE),
      vergeMiBps: median(v),
      nginxMiBps: median(n),
      ratio: median(ratios),
      rounds,
    };
    if (origin.hits(bigPath) !== 2) log(`  note: the origin saw ${origin.hits(bigPath)} fetches of the 1 GiB object`);

    // 3. 50 viewers, each a different cold 200 MB object, at once.
    const viewers = 50;
    const objectBytes = Math.round(200 * 1e6 * SCALE);
    const pid = verge.child.proc.pid!;
    const baselineMiB = rssMiB(pid);
    let peakMiB = baselineMiB;
    const sampler = setInterval(() => (peakMiB = Math.max(peakMiB, rssMiB(pid))), 100);
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: viewers }, (_, i) => curlMiBps(verge.port, `/obj/${5000 + i}/${objectBytes}/plain`)),
    );
    clearInterval(sampler);
    const rss = { viewers, objectMB: objectBytes / 1e6, baselineMiB, peakMiB, seconds: (Date.now() - t0) / 1000 };
    log(
      `  50 viewers x ${rss.objectMB} MB: verge RSS ${baselineMiB.toFixed(0)} -> peak ${peakMiB.toFixed(0)} MiB in ${rss.seconds.toFixed(1)} s`,
    );

    await verge.child.stop();
    await nginx.stop();
    return {
      ttfb,
      hitThroughput,
      rss,
      met: {
        ttfb: ttfb.extraMs <= STREAMING_TARGETS.ttfbExtraMs,
        throughput: hitThroughput.ratio >= STREAMING_TARGETS.throughputVsNginx,
        rss: peakMiB <= STREAMING_TARGETS.rssMiB,
      },
    };
  } finally {
    await origin.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(fileURLToPath(import.meta.url), '../..');
  const dir = mkdtempSync(join(tmpdir(), 'verge-bench-large-'));
  try {
    const r = await runStreamingRows(root, dir, console.log);
    console.log(JSON.stringify(r, null, 2));
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}
