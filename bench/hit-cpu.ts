/**
 * @module bench/hit-cpu
 * CPU per 1 KiB cache hit: `verge edge --workers 1` against a bare `node:http` server, each
 * loaded by the same bounded wrk run in alternating rounds, each charged the user + system time
 * its process spent during the run (/proc/PID/stat) divided by the requests wrk completed. On a
 * machine shared with other jobs this moves far less than requests per second does, so it is how
 * a change to the hit path is measured. Prints µs per request for both and the ratio. Not a test.
 *   node --no-node-snapshot --import tsx bench/hit-cpu.ts
 * Knobs: ROUNDS (3), DURATION (s, 4), CONNS (wrk -c, 64), VERGE_FROM_SOURCE=1 (run src/, not
 * dist/), CPU_PROF=<dir> (verge writes a `--cpu-prof` profile there when it stops), VERGE_BASE=<dir>
 * (a second, built checkout's edge measured in the same rounds: before and after a change).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createObjectServer, OBJECT_SIZE } from './lib/object.js';
import { findBinary, freePort, httpGet, startChild, stopAll, waitForHttp, type Child } from './lib/procs.js';
import { runWrk } from './lib/wrk.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 4);
const CONNS = Number(process.env.CONNS ?? 64);
const PATH = '/bench/1k';
const HOST = 'localhost';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

/** utime + stime of a process, in µs. */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US; // fields 14 and 15 of proc(5)
}

const wrk = findBinary('wrk');
if (!wrk) {
  console.log('hit-cpu: wrk not found (Debian package wrk); nothing measured');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'verge-hit-cpu-'));
let originFetches = 0;
const origin = createObjectServer(() => originFetches++);
await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
const originPort = (origin.address() as { port: number }).port;

async function start(
  name: string,
  args: (port: number) => string[],
  env: NodeJS.ProcessEnv = {},
): Promise<[Child, number]> {
  const port = await freePort();
  const child = startChild(name, process.execPath, args(port), { cwd: root, env: { ...process.env, ...env } });
  await waitForHttp(child, port, HOST, 60_000);
  return [child, port];
}
const configPath = join(dir, 'distribution.json');
writeFileSync(
  configPath,
  JSON.stringify({
    id: 'bench',
    aliases: [HOST],
    origins: [{ id: 'origin', domainName: '127.0.0.1', port: originPort, protocol: 'http' }],
    defaultCacheBehavior: { targetOriginId: 'origin', cachePolicy: 'CachingOptimized', compress: false },
  }),
);
const prof = process.env.CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.CPU_PROF] : [];
/** `verge edge --workers 1` of the checkout at `home` (its dist/, or src/ with VERGE_FROM_SOURCE=1). */
const verge = (name: string, home: string) =>
  start(name, (port) => [
    '--no-node-snapshot',
    ...prof,
    join(home, 'bin/verge.js'),
    ...['edge', '--config', configPath, '--port', String(port), '--admin-port', '0', '--access-log', 'off'],
    ...['--pop', 'bench', '--workers', '1', '--admin-token-file', join(dir, `token-${name.replace(/\W/g, '')}`)],
  ]);
const contenders = [
  await verge('verge', root),
  // VERGE_BASE=<another checkout, built>: its edge as one more contender, for before/after in one run.
  ...(process.env.VERGE_BASE ? [await verge('verge (base)', process.env.VERGE_BASE)] : []),
  await start('bare node', (port) => ['--import', 'tsx', join(root, 'bench/lib/bare-node-server.ts'), String(port)]),
].map(([child, port]) => ({ child, port, us: [] as number[] }));
const vergeCount = contenders.length - 1;
// The fill, then a check that each edge answers from its cache.
for (const c of contenders.slice(0, vergeCount)) {
  for (let i = 0; i < 2; i++) await httpGet(c.port, PATH, HOST);
  const probe = await httpGet(c.port, PATH, HOST);
  const xCache = String(probe.headers['x-cache']);
  if (probe.status !== 200 || probe.body.length !== OBJECT_SIZE || !/^Hit from verge/.test(xCache))
    throw new Error(`${c.child.name} does not answer a hit: ${probe.status}, X-Cache ${xCache}`);
}
const fetchesBefore = originFetches;

for (let round = 0; round <= ROUNDS; round++) {
  // Round 0 warms all up (JIT) and is not counted; then the order rotates.
  const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
  for (const c of order) {
    const pid = c.child.proc.pid!;
    const before = cpuUs(pid);
    const r = await runWrk({ wrk, url: `http://127.0.0.1:${c.port}${PATH}`, host: HOST, threads: 1, connections: CONNS, durationSec: round === 0 ? 2 : DURATION }); // prettier-ignore
    const us = (cpuUs(pid) - before) / r.requests;
    if (r.non2xx3xx) throw new Error(`${c.child.name}: ${r.non2xx3xx} answers not 2xx/3xx`);
    if (round > 0) c.us.push(us);
    // Socket errors under a loaded machine are wrk's 2 s timeouts; the CPU is charged to completed requests.
    console.log(`round ${round}${round ? '' : ' (warm-up)'}: ${c.child.name.padEnd(9)} ${us.toFixed(2)} CPU us/request, ${Math.round(r.requestsPerSec)} req/s, ${r.socketErrors} socket errors`); // prettier-ignore
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const node = median(contenders.at(-1)!.us);
for (const c of contenders.slice(0, vergeCount)) {
  const v = median(c.us);
  console.log(`median of ${ROUNDS}: ${c.child.name} ${v.toFixed(2)} CPU us/hit, bare node ${node.toFixed(2)}, ratio ${(v / node).toFixed(2)}`); // prettier-ignore
}
console.log(`origin fetches while measured: ${originFetches - fetchesBefore} (0: every verge request was a hit)`);
await stopAll();
origin.close();
rmSync(dir, { recursive: true, force: true });
