/**
 * @module bench/propagation-cluster
 * The cluster rows of `npm run bench:propagation` (issue 15): two control replicas in this
 * process on one PostgreSQL database (a schema of the bench's own, dropped after), and N
 * simulated PoPs: lightweight watchers, each registered with its own edge token and holding the
 * watch stream (server-sent events) of replica A or B, alternately. A run changes a distribution
 * through replica A and times until every watcher has both heard of the new snapshot and fetched
 * and read its body from the replica it watches (what a PoP does before it serves it; loading
 * functions and switching plans is the single-node row's part). RUNS changes for N = 3 and 100.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { startControl, type Control } from '../src/control/index.js';
import { openStream, type EventStream } from '../src/control/testing/sse-client.js';
import { silentLogger } from '../src/shared/log.js';

const PG_URL = process.env.VERGE_TEST_POSTGRES ?? 'postgres://root@127.0.0.1:5432/test';

interface Watcher {
  base: string;
  token: string;
  stream: EventStream;
}

export interface ClusterRow {
  pops: number;
  ms: number[];
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function json(method: string, url: string, token: string, body?: unknown): Promise<Record<string, any>> {
  const r = await request(url, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.body.text();
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as Record<string, any>) : {};
}

/** Until this watcher has a snapshot at least `version` and has read that snapshot's body. */
async function applied(w: Watcher, version: number): Promise<void> {
  for (;;) {
    const e = await w.stream.next('snapshot', 30_000);
    if ((e.data as { version: number }).version >= version) break;
  }
  await json('GET', `${w.base}/api/v1/edge/snapshots/${version}`, w.token);
}

async function oneSize(n: number, runs: number): Promise<ClusterRow> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const schema = `verge_bench_prop_${process.pid}_${n}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  const u = new URL(PG_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const dir = mkdtempSync(join(tmpdir(), 'verge-bench-cluster-'));
  const controls: Control[] = [];
  const watchers: Watcher[] = [];
  try {
    controls.push(await startControl({ port: 0, dataDir: join(dir, 'a'), store: u.toString(), logger: silentLogger }));
    mkdirSync(join(dir, 'b'), { recursive: true, mode: 0o700 });
    copyFileSync(join(dir, 'a', 'secret.key'), join(dir, 'b', 'secret.key'));
    controls.push(await startControl({ port: 0, dataDir: join(dir, 'b'), store: u.toString(), logger: silentLogger }));
    const [a, b] = controls as [Control, Control];
    const token = readFileSync(join(dir, 'a', 'admin-token'), 'utf8').trim();
    const dist = (comment: string) => ({
      id: 'bench',
      aliases: ['bench.test'],
      comment,
      origins: [{ id: 'o', domainName: '127.0.0.1', port: 9 }],
      defaultCacheBehavior: { targetOriginId: 'o' },
    });
    await json('POST', `${a.url}/api/v1/distributions`, token, dist('run 0'));
    for (let i = 0; i < n; i++) {
      const pop = `sim-${i}`;
      const base = i % 2 ? b.url : a.url;
      const t = (await json('POST', `${a.url}/api/v1/tokens`, token, { name: pop, kind: 'edge', pop })).token as string;
      const reg = await json('POST', `${base}/api/v1/edge/register`, t, { pop, region: 'sim', appliedVersion: 0, edgeVersion: 'bench' }); // prettier-ignore
      const stream = await openStream(`${base}/api/v1/edge/watch?after=${reg.latestVersion as number}`, t);
      watchers.push({ base, token: t, stream });
    }
    const ms: number[] = [];
    for (let run = 1; run <= runs; run++) {
      const cur = await request(`${a.url}/api/v1/distributions/bench`, { headers: { authorization: `Bearer ${token}` } }); // prettier-ignore
      await cur.body.dump();
      const t0 = performance.now();
      const put = await request(`${a.url}/api/v1/distributions/bench`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'if-match': String(cur.headers.etag) }, // prettier-ignore
        body: JSON.stringify(dist(`run ${run}`)),
      });
      await put.body.dump();
      if (put.statusCode !== 200) throw new Error(`PUT /distributions/bench: ${put.statusCode}`);
      const latest = (await json('GET', `${a.url}/api/v1/deployments?limit=1`, token)).items[0].version as number;
      await Promise.all(watchers.map((w) => applied(w, latest)));
      ms.push(performance.now() - t0);
    }
    return { pops: n, ms };
  } finally {
    for (const w of watchers) await w.stream.close();
    for (const c of controls) await c.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rows for 3 and 100 simulated PoPs, or why they were not measured. */
export async function clusterRows(runs: number): Promise<ClusterRow[] | string> {
  const probe = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await probe.connect();
  } catch {
    return `not measured: PostgreSQL does not answer at ${PG_URL} (VERGE_TEST_POSTGRES)`;
  } finally {
    await probe.end().catch(() => undefined);
  }
  return [await oneSize(3, runs), await oneSize(100, runs)];
}

export function clusterLines(rows: ClusterRow[]): string[] {
  const f = (x: number) => `${x.toFixed(0)} ms`.padStart(7);
  return rows.map((r) => {
    const p50 = quantile(r.ms, 0.5);
    return `${`cluster: change on replica A → ${r.pops} PoPs (A+B)`.padEnd(38)} p50 ${f(p50)}   p99 ${f(quantile(r.ms, 0.99))}   target p50 ≤ 1000 ms  ${p50 <= 1000 ? 'met' : 'MISSED'}`; // prettier-ignore
  });
}
