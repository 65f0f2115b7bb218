/**
 * @module bench/telemetry-flood
 * `npm run bench:telemetry-flood`: does a flood of log batches from PoPs slow config changes?
 * (issue 15: telemetry lives apart from the config store.) The control plane runs in this
 * process on SQLite and, when it answers at VERGE_TEST_POSTGRES (default
 * postgres://root@127.0.0.1:5432/test), on PostgreSQL in a schema of its own. A config change is
 * `PUT /kvs/{name}/keys/{key}` (a store transaction that builds a snapshot), timed from request to
 * answer, CHANGES (default 40) times one after another: first on a quiet control plane (the
 * reference), then while a worker thread posts log batches (BATCH records each, FLOOD_CONCURRENCY
 * at once, each with a new batch id) as fast as the control plane takes them. Prints p50/p99 of
 * both, their ratio, and how many records a second the flood got stored.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { startControl } from '../src/control/index.js';
import { adminApi, type Api } from '../src/cli/up-seed.js';
import { silentLogger } from '../src/shared/log.js';

const CHANGES = Number(process.env.CHANGES ?? 40);
const BATCH = Number(process.env.BATCH ?? 500);
const CONCURRENCY = Number(process.env.FLOOD_CONCURRENCY ?? 8);
const PG_URL = process.env.VERGE_TEST_POSTGRES ?? 'postgres://root@127.0.0.1:5432/test';

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** The flood: CONCURRENCY loops posting log batches until told to stop; reports records stored and refusals. */
const FLOOD = `
const { parentPort, workerData: w } = require('node:worker_threads');
let stop = false, stored = 0, refused = 0, n = 0;
parentPort.on('message', () => { stop = true; });
const records = (b) => Array.from({ length: w.batch }, (_, i) => ({
  type: 'access', time: Date.now(), pop: w.pop, requestId: 'flood-' + b + '-' + i,
  message: 'GET flood.test/objects/' + i + ' 200 Hit', status: 200, fields: { 'cs-uri-stem': '/objects/' + i, 'sc-bytes': 1234 },
}));
async function loop() {
  while (!stop) {
    const b = 'flood-' + process.pid + '-' + (n++);
    const r = await fetch(w.url + '/api/v1/edge/logs', {
      method: 'POST', headers: { authorization: 'Bearer ' + w.token, 'content-type': 'application/json' },
      body: JSON.stringify({ batchId: b, pop: w.pop, records: records(b) }),
    });
    if (r.status === 200) stored += (await r.json()).accepted; else { refused++; await r.arrayBuffer(); }
  }
}
Promise.all(Array.from({ length: w.concurrency }, loop)).then(() => parentPort.postMessage({ stored, refused }));
`;

async function changes(api: Api, tag: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const t0 = performance.now();
    await api('PUT', `/kvs/bench/keys/k${i % 5}`, { value: `${tag}-${i}` });
    out.push(performance.now() - t0);
  }
  return out;
}

async function run(name: string, store: string | undefined): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'verge-bench-flood-'));
  const control = await startControl({
    port: 0,
    dataDir: join(dir, 'control'),
    logger: silentLogger,
    ...(store ? { store } : {}),
  });
  try {
    const api = adminApi(control.url, readFileSync(join(dir, 'control', 'admin-token'), 'utf8').trim());
    await api('POST', '/kvs', { name: 'bench', data: {} });
    const { token } = await api<{ token: string }>('POST', '/tokens', { name: 'flood', kind: 'edge', pop: 'flood-1' });
    await changes(api, 'warm');
    const quiet = await changes(api, 'quiet');
    const worker = new Worker(FLOOD, {
      eval: true,
      workerData: { url: control.url, token, pop: 'flood-1', batch: BATCH, concurrency: CONCURRENCY },
    });
    const done = new Promise<{ stored: number; refused: number }>((r) => worker.once('message', r));
    await new Promise((r) => setTimeout(r, 500)); // the flood is under way before the first timed change
    const t0 = performance.now();
    const flooded = await changes(api, 'flood');
    worker.postMessage('stop');
    const { stored, refused } = await done;
    const seconds = (performance.now() - t0) / 1000;
    await worker.terminate();
    const f = (ms: number) => `${ms.toFixed(1)} ms`.padStart(9);
    const p = (xs: number[]) => `p50 ${f(quantile(xs, 0.5))}  p99 ${f(quantile(xs, 0.99))}`;
    console.log(`${name}: config change (PUT kvs key), ${CHANGES} each`);
    console.log(`  quiet                      ${p(quiet)}`);
    console.log(`  during log flood           ${p(flooded)}   ratio p50 ${(quantile(flooded, 0.5) / quantile(quiet, 0.5)).toFixed(2)}, p99 ${(quantile(flooded, 0.99) / quantile(quiet, 0.99)).toFixed(2)}`); // prettier-ignore
    console.log(`  flood stored               ${Math.round(stored / seconds)} records/s (${BATCH}-record batches, ${CONCURRENCY} at once), ${refused} batches refused (TELEMETRY_BACKLOG)`); // prettier-ignore
    console.log(JSON.stringify({ store: name, quietMs: quiet.map((x) => +x.toFixed(1)), floodMs: flooded.map((x) => +x.toFixed(1)), storedPerSecond: Math.round(stored / seconds), refused })); // prettier-ignore
  } finally {
    await control.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresSchema(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const schema = `verge_bench_flood_${process.pid}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  const u = new URL(PG_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: u.toString(),
    async drop() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

console.log(`telemetry flood vs config changes (${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)})`);
await run('sqlite', undefined);
const pgs = await postgresSchema();
if (pgs) {
  try {
    await run('postgres', pgs.url);
  } finally {
    await pgs.drop();
  }
} else console.log(`postgres: not measured (nothing answers at ${PG_URL})`);
