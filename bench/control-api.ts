/**
 * @module bench/control-api
 * Control API latency (`npm run bench:control-api`): a `verge control` process on loopback, one
 * keep-alive connection, requests one after another, and per kind the median and p99 in µs:
 *   GET /healthz               public, no auth, one store read
 *   GET /kvs/{name}            bearer auth (token hash lookup) and a read
 *   PUT /kvs/{name}/keys/{k}   auth, a JSON body validated against its schema, a write and a snapshot
 * BENCH_BASELINE=/other/checkout runs that checkout's control plane in the same rounds, in turns
 * with this one (both from src/ through tsx), so a change is measured against the commit before
 * it at the same load. Bounded: BENCH_ROUNDS (default 3) x BENCH_REQUESTS (default 500) per kind.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { freePort, startChild, stopAll, waitForHttp } from './lib/procs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BASELINE = process.env.BENCH_BASELINE;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 500);

interface Target {
  name: string;
  pool: Pool;
  token: string;
  samples: Record<string, number[]>;
}

async function start(name: string, root: string): Promise<Target> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'verge-bench-api-'));
  const child = startChild(name, process.execPath, ['--no-node-snapshot', join(root, 'bin', 'verge.js'), 'control', '--port', String(port), '--data-dir', dir], { env: { ...process.env, VERGE_FROM_SOURCE: '1' } }); // prettier-ignore
  void child.exited.then(() => rmSync(dir, { recursive: true, force: true }));
  await waitForHttp(child, port, '127.0.0.1', 60_000);
  const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  const t: Target = { name, pool, token, samples: { healthz: [], 'kvs read': [], 'kvs write': [] } };
  await call(t, 'POST', '/api/v1/kvs', JSON.stringify({ name: 'bench', data: { a: '1' } }));
  return t;
}

async function call(t: Target, method: 'GET' | 'PUT' | 'POST', path: string, body?: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await t.pool.request({
    method,
    path,
    headers: { authorization: `Bearer ${t.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body } : {}),
  });
  await r.body.text();
  if (r.statusCode >= 300) throw new Error(`${t.name} ${method} ${path}: ${r.statusCode}`);
  return Number(process.hrtime.bigint() - t0) / 1000;
}

async function round(t: Target): Promise<void> {
  for (let i = 0; i < REQUESTS; i++) t.samples.healthz!.push(await call(t, 'GET', '/api/v1/healthz'));
  for (let i = 0; i < REQUESTS; i++) t.samples['kvs read']!.push(await call(t, 'GET', '/api/v1/kvs/bench'));
  for (let i = 0; i < REQUESTS; i++)
    t.samples['kvs write']!.push(await call(t, 'PUT', `/api/v1/kvs/bench/keys/k${i % 20}`, JSON.stringify({ value: String(i) }))); // prettier-ignore
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!; // prettier-ignore

try {
  const targets = [await start('this checkout', ROOT)];
  if (BASELINE) targets.push(await start('baseline', BASELINE));
  console.log(`load at start ${loadavg()[0]!.toFixed(2)}; ${ROUNDS} rounds x ${REQUESTS} requests per kind, in turns`);
  for (let r = 0; r < ROUNDS; r++) for (const t of r % 2 === 0 ? targets : [...targets].reverse()) await round(t);
  for (const kind of Object.keys(targets[0]!.samples)) {
    const cells = targets.map((t) => `${t.name}: p50 ${pct(t.samples[kind]!, 0.5).toFixed(0)} µs, p99 ${pct(t.samples[kind]!, 0.99).toFixed(0)} µs`); // prettier-ignore
    const ratio = targets.length > 1 ? `  (p50 ratio ${(pct(targets[0]!.samples[kind]!, 0.5) / pct(targets[1]!.samples[kind]!, 0.5)).toFixed(2)})` : ''; // prettier-ignore
    console.log(`${kind.padEnd(10)} ${cells.join(' | ')}${ratio}`);
  }
  console.log(`load at end ${loadavg()[0]!.toFixed(2)}`);
  for (const t of targets) await t.pool.close();
} finally {
  await stopAll();
}
