/**
 * @module bench/runtime
 * `npm run bench:runtime`: the function runtime's figures from issue 3, in one run:
 * - cold start (new isolate to first result) p50/p99, with and without the spare isolate the
 *   runtime keeps ready (target p50 ≤ 5 ms);
 * - warm invocation overhead of a header-adding viewer-request function, p50/p99
 *   (target p50 ≤ 25 µs);
 * - the edge's cache-hit throughput with that function on viewer-request, as a ratio of the
 *   same edge without it (target ≥ 0.8x), measured with wrk in interleaved rounds; beside it the
 *   edge process's CPU time per request (from /proc/PID/stat, all its threads), which a busy
 *   machine disturbs far less than requests/s, and its ratio.
 * - the neighbour row (issue 9): a function-free path's p99, alone and beside a function that
 *   spins 45 ms synchronously at 4 clients, and their ratio (target <= 2x): a noisy function
 *   must cost its own requests, not its neighbours'.
 * Missing wrk: the throughput part is skipped with the Debian package named.
 * `BENCH_ONLY=throughput|neighbour` runs one part.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEADER_FUNCTION, measureRuntime } from '../src/runtime/host/bench.js';
import { WRK_MISSING } from './lib/peers.js';
import { findBinary, freePort, httpGet, onCleanup, startChild, stopAll, waitForHttp } from './lib/procs.js';
import { createObjectServer } from './lib/object.js';
import { runWrk } from './lib/wrk.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const PATH = '/bench/1k';
const HOST = 'localhost';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** CPU time (user + system, every thread) a process has used, in µs; NaN where /proc is missing. */
function cpuMicros(pid: number | undefined): number {
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

interface EdgeProc {
  port: number;
  pid: number | undefined;
}

/** A function that spins 45 ms synchronously (the neighbour row's noisy function). */
const SPIN_FUNCTION = `exports.handler = async () => {
  const end = Date.now() + 45;
  while (Date.now() < end) {}
  return { status: '200', body: 'spun' };
};`;

async function startEdge(
  dir: string,
  name: string,
  originPort: number,
  withFunction: boolean,
  spin = false,
): Promise<EdgeProc> {
  const behavior: Record<string, unknown> = {
    targetOriginId: 'origin',
    cachePolicy: 'CachingOptimized',
    compress: false,
  };
  if (withFunction) {
    writeFileSync(join(dir, 'header.js'), HEADER_FUNCTION);
    behavior.functionAssociations = [{ eventType: 'viewer-request', function: './header.js' }];
  }
  if (spin) writeFileSync(join(dir, 'spin.js'), SPIN_FUNCTION);
  const config = {
    id: name,
    aliases: [HOST],
    origins: [{ id: 'origin', domainName: '127.0.0.1', port: originPort, protocol: 'http' }],
    defaultCacheBehavior: behavior,
    ...(spin
      ? {
          cacheBehaviors: [
            {
              pathPattern: '/spin',
              targetOriginId: 'origin',
              functionAssociations: [{ eventType: 'viewer-request', function: './spin.js' }],
            },
          ],
        }
      : {}),
  };
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  const [port, admin] = [await freePort(), await freePort()];
  const child = startChild(
    name,
    process.execPath,
    [
      '--no-node-snapshot',
      join(root, 'bin/verge.js'),
      'edge',
      '--config',
      path,
      '--port',
      String(port),
      '--admin-port',
      String(admin),
      '--access-log',
      'off',
      '--pop',
      name,
    ],
    { cwd: root },
  );
  await waitForHttp(child, port, HOST, 60_000);
  for (let i = 0; i < 5; i++) {
    const r = await httpGet(port, PATH, HOST);
    if (/^Hit/.test(String(r.headers['x-cache']))) return { port, pid: child.proc.pid };
  }
  throw new Error(`${name}: ${PATH} never became a cache hit`);
}

async function runtimeFigures(): Promise<void> {
  const f = await measureRuntime();
  console.log('function runtime (isolated-vm, header-adding viewer-request function)');
  console.log(
    `  cold start, isolate made on the request path  p50 ${f.coldStartMs.p50.toFixed(2)} ms  p99 ${f.coldStartMs.p99.toFixed(2)} ms  (n=${f.coldStartMs.n})`,
  );
  console.log(
    `  cold start, spare isolate ready (normal case) p50 ${f.coldStartSpareMs.p50.toFixed(2)} ms  p99 ${f.coldStartSpareMs.p99.toFixed(2)} ms  (target p50 <= 5 ms)`,
  );
  console.log(
    `  warm invocation overhead                     p50 ${f.warmInvokeUs.p50.toFixed(1)} us  p99 ${f.warmInvokeUs.p99.toFixed(1)} us  (target p50 <= 25 us)`,
  );
}

/** p99 of sequential GETs of the plain path for `ms`, 5 ms apart. */
async function plainP99(port: number, ms: number): Promise<{ p99: number; n: number; errors: number }> {
  const times: number[] = [];
  let errors = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    try {
      const r = await httpGet(port, PATH, HOST, 10_000);
      if (r.status === 200) times.push(performance.now() - t0);
      else errors++;
    } catch {
      errors++;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  times.sort((a, b) => a - b);
  return { p99: times[Math.min(times.length - 1, Math.floor(0.99 * times.length))] ?? NaN, n: times.length, errors };
}

/** The neighbour row: the plain path alone, then beside 4 clients of a 45 ms synchronous function. */
async function neighbourFigures(originPort: number, dir: string): Promise<void> {
  const edge = await startEdge(dir, 'neighbour', originPort, false, true);
  const ms = DURATION * 1000;
  const alone = await plainP99(edge.port, ms);
  const end = performance.now() + ms;
  const spinners = Array.from({ length: 4 }, async () => {
    while (performance.now() < end) await httpGet(edge.port, '/spin', HOST, 10_000).catch(() => undefined);
  });
  const beside = await plainP99(edge.port, ms);
  await Promise.all(spinners);
  const ratio = beside.p99 / alone.p99;
  console.log('neighbour: a function-free path beside a function spinning 45 ms synchronously at 4 clients');
  console.log(
    `  plain-path p99 alone ${alone.p99.toFixed(1)} ms (n=${alone.n}), beside the spinner ${beside.p99.toFixed(1)} ms (n=${beside.n}, ${beside.errors} errors)`,
  );
  console.log(
    `  ratio ${ratio.toFixed(2)} (target <= 2) ${ratio <= 2 ? 'met' : 'NOT met'} (load ${loadavg()[0]!.toFixed(1)})`,
  );
}

async function main(): Promise<void> {
  if (loadavg()[0]! > cpus().length)
    console.log(`note: the machine is busy (load ${loadavg()[0]!.toFixed(1)}): expect noisy figures`);
  const only = process.env.BENCH_ONLY;
  // BENCH_ONLY=throughput skips the runtime figures (for iterating on the edge integration).
  if (only === undefined) await runtimeFigures();
  if (only === undefined || only === 'neighbour') {
    const origin = createObjectServer();
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'verge-bench-nb-'));
    try {
      await neighbourFigures((origin.address() as AddressInfo).port, dir);
    } finally {
      origin.close();
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
    if (only === 'neighbour') return;
  }
  const wrk = findBinary('wrk');
  if (!wrk) return void console.log(`hit throughput with a function: skipped: ${WRK_MISSING}`);
  const origin = createObjectServer();
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originPort = (origin.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'verge-bench-rt-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const plain = await startEdge(dir, 'plain', originPort, false);
    const withFn = await startEdge(dir, 'withfn', originPort, true);
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [plain, withFn] : [withFn, plain];
      const rps = new Map<EdgeProc, number>();
      const cpu = new Map<EdgeProc, number>();
      for (const edge of order) {
        const c0 = cpuMicros(edge.pid);
        const r = await runWrk({
          wrk,
          url: `http://127.0.0.1:${edge.port}${PATH}`,
          host: HOST,
          threads: 1,
          connections: 64,
          durationSec: DURATION,
        });
        if (r.non2xx3xx > 0 || r.socketErrors > 0)
          console.log(`  note: ${r.non2xx3xx} non-2xx/3xx responses, ${r.socketErrors} socket errors`);
        rps.set(edge, r.requestsPerSec);
        cpu.set(edge, (cpuMicros(edge.pid) - c0) / r.requests);
      }
      ratios.push(rps.get(withFn)! / rps.get(plain)!);
      cpuRatios.push(cpu.get(plain)! / cpu.get(withFn)!);
      console.log(
        `  round ${round + 1}: without ${rps.get(plain)!.toFixed(0)} req/s (${cpu.get(plain)!.toFixed(1)} us CPU/req), ` +
          `with function ${rps.get(withFn)!.toFixed(0)} req/s (${cpu.get(withFn)!.toFixed(1)} us CPU/req)`,
      );
    }
    const ratio = median(ratios);
    console.log(
      `edge cache-hit throughput with one viewer-request function / without: ${ratio.toFixed(2)} (target >= 0.8) ${ratio >= 0.8 ? 'met' : 'NOT met'}`,
    );
    console.log(
      `  CPU per request without / with the function: ${median(cpuRatios).toFixed(2)} (load ${loadavg()[0]!.toFixed(1)})`,
    );
  } finally {
    origin.close();
    await stopAll();
  }
}

await main();
