/**
 * @module bench/conformance-peers
 * Scores Verge, nginx `proxy_cache` and Varnish on the HTTP caching conformance suite
 * (npm `http-cache-tests`), one after the other in one run on this machine, and prints them side
 * by side (docs/performance.md records the result). Not a test: CI runs Verge alone through
 * test/conformance/cache-tests.test.ts.
 *
 * Usage: `node --no-node-snapshot --import tsx bench/conformance-peers.ts [verge] [nginx] [varnish]`
 * (default: all three). Writes bench/results/conformance-latest.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startSuiteOrigin,
  runSuite,
  summarise,
  formatSummary,
  CATEGORY_ORDER,
  type Summary,
} from '../test/conformance/cache-tests-suite.js';
import { writeJsonFile } from '../test/conformance/json-file.js';
import { startConformanceEdge } from '../test/conformance/verge-under-test.js';
import { binaryVersion, startNginx, startVarnish, NGINX_MISSING, VARNISH_MISSING } from './lib/peers.js';
import { findBinary, freePort, stopAll } from './lib/procs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Contender {
  name: string;
  version: string;
  start(originPort: number): Promise<{ base: string; stop(): Promise<void> }>;
}

const contenders: Contender[] = [
  {
    name: 'verge',
    version: treeVersion(),
    async start(originPort) {
      const t = await startConformanceEdge(originPort);
      return { base: t.url, stop: () => t.close() };
    },
  },
  {
    name: 'nginx',
    version: binaryVersion('nginx'),
    async start(originPort) {
      if (!findBinary('nginx')) throw new Error(NGINX_MISSING);
      const p = await startNginx({ port: await freePort(), originPort, mode: 'conformance' });
      return { base: `http://127.0.0.1:${p.port}`, stop: () => p.stop() };
    },
  },
  {
    name: 'varnish',
    version: binaryVersion('varnishd'),
    async start(originPort) {
      if (!findBinary('varnishd')) throw new Error(VARNISH_MISSING);
      const p = await startVarnish({ port: await freePort(), originPort });
      return { base: `http://127.0.0.1:${p.port}`, stop: () => p.stop() };
    },
  },
];

/** `abc1234` or `abc1234+dirty`: which Verge was measured. */
function treeVersion(): string {
  const git = (args: string[]): string => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  const head = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
  return git(['status', '--porcelain', '--', 'src']) ? `${head}+dirty` : head;
}

async function score(c: Contender): Promise<Summary | string> {
  // A fresh origin per contender: its state is keyed by random ids, but a clean process keeps runs independent.
  const origin = await startSuiteOrigin();
  let target: { base: string; stop(): Promise<void> } | null = null;
  try {
    target = await c.start(origin.port);
    const started = Date.now();
    const run = await runSuite(target.base, { deadlineMs: 150_000 });
    const s = summarise(run);
    console.log(
      `${formatSummary(s, `${c.name} (${c.version})`)}\n  ${((Date.now() - started) / 1000).toFixed(1)} s${run.timedOut ? ', TIMED OUT (partial)' : ''}`,
    );
    return s;
  } catch (err) {
    console.log(`${c.name}: not measured: ${(err as Error).message.split('\n')[0]}`);
    return (err as Error).message.split('\n')[0]!;
  } finally {
    await target?.stop();
    await origin.close();
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const chosen = contenders.filter((c) => wanted.length === 0 || wanted.includes(c.name));
  const scores: Record<string, Summary | string> = {};
  for (const c of chosen) scores[c.name] = await score(c);

  const measured = chosen.filter((c) => typeof scores[c.name] !== 'string');
  const header = ['result', ...measured.map((c) => c.name)];
  const rows = CATEGORY_ORDER.map((cat) => [
    cat,
    ...measured.map((c) => String((scores[c.name] as Summary).counts[cat])),
  ]);
  rows.push(['total', ...measured.map((c) => String((scores[c.name] as Summary).total))]);
  console.log('\n' + table([header, ...rows.filter((r) => r.slice(1).some((v) => v !== '0'))]));

  const out = {
    date: new Date().toISOString(),
    suite: 'http-cache-tests 0.4.5 (npm)',
    versions: Object.fromEntries(chosen.map((c) => [c.name, c.version])),
    scores,
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeJsonFile(join(root, 'bench/results/conformance-latest.json'), out);
  console.log('\nwrote bench/results/conformance-latest.json');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  '))
    .join('\n');
}

try {
  await main();
} finally {
  await stopAll();
}
