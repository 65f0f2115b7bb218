/**
 * @module bench/startup
 * How long the built `verge` takes to be useful, against bare `node -e 0` on the same machine in
 * the same run (`npm run bench:startup`, after `npm run build`):
 *   verge --help               process start to exit
 *   verge edge serving         start to the first 200 through a function (static config, a
 *                              bucket origin, a viewer-response function on the prebuilt guest),
 *                              with the default workers (one per core) and with --workers 1
 *   verge up, 3 PoPs serving   start (fresh data dir) to every PoP answering the demo's /p/42
 *                              through both seeded functions
 * Each is run BENCH_ROUNDS times (default 3), in turns; the table gives medians and each one's
 * ratio to `node -e 0`. Targets (issue 11): --help within 2.5x of node -e 0, edge within 1 s,
 * up within 3 s. Figures go to bench/results/startup-latest.json. BENCH_FROM_SOURCE=1 runs the
 * same from src/ through tsx, for comparison.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, httpGet, startChild, stopAll } from './lib/procs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'verge.js');
// BENCH_BASELINE=/other/checkout/bin/verge.js (built) is timed in the same rounds, in turns with
// this one, so a change is measured against the commit before it at the same load.
const BASELINE = process.env.BENCH_BASELINE;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.log('bench/startup measures the built CLI: run `npm run build` first.');
  process.exit(0);
}
// BENCH_FROM_SOURCE=1 measures src/ through tsx instead (what every command paid before the build).
const env = { ...process.env };
if (process.env.BENCH_FROM_SOURCE === '1') env.VERGE_FROM_SOURCE = '1';
else delete env.VERGE_FROM_SOURCE;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function timeExit(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}

/** Polls until `ok` holds (every 10 ms); returns the ms since t0. */
async function until(t0: number, what: string, ok: () => Promise<boolean>, limitMs = 60_000): Promise<number> {
  for (;;) {
    if (await ok().catch(() => false)) return performance.now() - t0;
    if (performance.now() - t0 > limitMs) throw new Error(`${what}: not serving after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function edgeServing(dir: string, extra: string[] = [], bin = BIN): Promise<number> {
  const [port, admin] = [await freePort(), await freePort()];
  const t0 = performance.now();
  const edge = startChild('edge', process.execPath, ['--no-node-snapshot', bin, 'edge', '--config', join(dir, 'dist.json'),
    '--host', '127.0.0.1', '--port', String(port), '--admin-port', String(admin), '--access-log', 'off', ...extra], { env }); // prettier-ignore
  try {
    return await until(t0, 'verge edge', async () => {
      const r = await httpGet(port, '/index.html', 'localhost', 1000);
      return r.status === 200 && r.headers['x-bench'] === 'fn';
    });
  } finally {
    await edge.stop();
  }
}

async function upServing(bin = BIN): Promise<number> {
  const ports: number[] = [];
  for (let i = 0; i < 8; i++) ports.push(await freePort());
  const [control, e1, e2, e3, a1, a2, a3, origin] = ports as [number, ...number[]];
  const data = mkdtempSync(join(tmpdir(), 'verge-bench-up-'));
  const t0 = performance.now();
  const up = startChild('up', process.execPath, ['--no-node-snapshot', bin, 'up', '--port', String(control),
    '--edge-ports', `${e1},${e2},${e3}`, '--admin-ports', `${a1},${a2},${a3}`, '--origin-port', String(origin),
    '--data-dir', data], { env }); // prettier-ignore
  try {
    const served = new Set<number>();
    return await until(t0, 'verge up', async () => {
      for (const p of [e1!, e2!, e3!]) {
        if (served.has(p)) continue;
        const r = await httpGet(p, '/p/42', 'localhost', 1000);
        if (r.status === 200 && r.headers['x-verge-function'] === 'security-headers') served.add(p);
      }
      return served.size === 3;
    });
  } finally {
    await up.stop();
    // A PoP's workers may still be writing its snapshot folder for a moment after `verge up` exits.
    rmSync(data, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

function edgeFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'verge-bench-edge-'));
  mkdirSync(join(dir, 'public'));
  writeFileSync(join(dir, 'public', 'index.html'), '<h1>bench</h1>\n');
  writeFileSync(
    join(dir, 'fn.js'),
    `exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-bench'] = [{ key: 'X-Bench', value: 'fn' }]; return r; };\n`,
  );
  writeFileSync(
    join(dir, 'dist.json'),
    JSON.stringify({
      id: 'bench',
      aliases: ['localhost'],
      origins: [{ id: 'site', bucket: { path: './public' } }],
      defaultCacheBehavior: {
        targetOriginId: 'site',
        cachePolicy: 'CachingDisabled',
        functionAssociations: [{ eventType: 'viewer-response', function: './fn.js' }],
      },
    }),
  );
  return dir;
}

const fixture = edgeFixture();
const loadAtStart = loadavg()[0]!.toFixed(2);
const runs = { node: [] as number[], help: [] as number[], edge: [] as number[], edge1: [] as number[], up: [] as number[],
  baseHelp: [] as number[], baseEdge: [] as number[], baseUp: [] as number[] }; // prettier-ignore
try {
  for (let i = 0; i < ROUNDS; i++) {
    runs.node.push(timeExit(['-e', '0']));
    runs.help.push(timeExit(['--no-node-snapshot', BIN, '--help']));
    runs.edge.push(await edgeServing(fixture));
    runs.edge1.push(await edgeServing(fixture, ['--workers', '1']));
    runs.up.push(await upServing());
    if (BASELINE) {
      runs.baseHelp.push(timeExit(['--no-node-snapshot', BASELINE, '--help']));
      runs.baseEdge.push(await edgeServing(fixture, [], BASELINE));
      runs.baseUp.push(await upServing(BASELINE));
    }
    console.log(`round ${i + 1}/${ROUNDS} done`);
  }
} finally {
  await stopAll();
  rmSync(fixture, { recursive: true, force: true });
}

const node = median(runs.node);
const rows: Array<[string, number[], string]> = [
  ['node -e 0', runs.node, '-'],
  ['verge --help', runs.help, '≤ 2.5x node'],
  ['verge edge serving', runs.edge, '≤ 1000 ms'],
  ['verge edge --workers 1 serving', runs.edge1, '-'],
  ['verge up, 3 PoPs serving', runs.up, '≤ 3000 ms'],
];
if (BASELINE)
  rows.push(
    ['baseline: verge --help', runs.baseHelp, '-'],
    ['baseline: verge edge serving', runs.baseEdge, '-'],
    ['baseline: verge up, 3 PoPs serving', runs.baseUp, '-'],
  );
console.log(
  `\nstartup${env.VERGE_FROM_SOURCE ? ' FROM SOURCE (tsx)' : ''}, median of ${ROUNDS} (${cpus().length} cores, load ${loadAtStart} at the start, ${loadavg()[0]!.toFixed(2)} at the end)\n`,
);
console.log('| what | median ms | x node -e 0 | target |\n| --- | ---: | ---: | --- |');
for (const [name, xs, target] of rows)
  console.log(`| ${name} | ${Math.round(median(xs))} | ${(median(xs) / node).toFixed(1)} | ${target} |`);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(ROOT, 'bench', 'results', 'startup-latest.json'),
  JSON.stringify(
    {
      at: new Date().toISOString(),
      fromSource: env.VERGE_FROM_SOURCE === '1',
      cores: cpus().length,
      load: loadavg(),
      rounds: ROUNDS,
      runsMs: runs,
    },
    null,
    2,
  ) + '\n',
);
