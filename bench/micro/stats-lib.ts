/**
 * @module bench/micro/stats-lib
 * Should the edge count with prom-client (issue 11)? The cache-hit path (`handleRequest` on
 * in-memory requests and responses, as bench/micro/hit-path.ts) with the edge's own counters
 * (src/edge/observe/stats.ts) against the same path counting into prom-client 15 Counters and a
 * Histogram, the cheapest way its API allows from our call sites (label objects parsed once per
 * label set and cached, so each request pays prom-client's own per-call label hashing and
 * validation, nothing of ours). Alternating batches in one process; prints µs per request for
 * each (CPU µs: user + system, as the machine is shared) and the ratio, and the cost of one `/metrics` render for each. Not a test.
 *   N=100000 BATCHES=5 node --import tsx bench/micro/stats-lib.ts
 */
import { inProcessEdge, inProcessRequest, InProcessResponse } from './in-process-edge.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram as PromHistogram, Registry } from 'prom-client';
import { compilePlan } from '../../src/edge/config/compile.js';
import { EdgeStats, LabeledCounter } from '../../src/edge/observe/stats.js';
import { handleRequest } from '../../src/edge/server/handler.js';

const N = Number(process.env.N ?? 100_000);
const BATCHES = Number(process.env.BATCHES ?? 5);

/** `a="x",b="y"` (our rendered form) → `{ a: 'x', b: 'y' }`, once per label set. */
function parseRendered(r: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of r.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/** A LabeledCounter whose counting is prom-client's. */
class PromCounter extends LabeledCounter {
  readonly #parsed = new Map<string, Record<string, string>>();
  constructor(readonly prom: Counter) {
    super();
  }
  override incRendered(rendered: string, by = 1): void {
    let labels = this.#parsed.get(rendered);
    if (!labels) this.#parsed.set(rendered, (labels = parseRendered(rendered)));
    this.prom.inc(labels, by);
  }
  override inc(labels: Record<string, string | number>, by = 1): void {
    this.prom.inc(labels, by);
  }
}

function promStats(): { stats: EdgeStats; registry: Registry } {
  const registry = new Registry();
  const stats = new EdgeStats();
  const counter = (name: string, labelNames: string[]) =>
    new PromCounter(new Counter({ name, help: name, labelNames, registers: [registry] }));
  const buckets = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000].map((b) => b / 1000);
  const duration = new PromHistogram({ name: 'verge_request_duration_seconds', help: 'd', buckets, registers: [registry] }); // prettier-ignore
  Object.assign(stats, {
    requests: counter('verge_requests_total', ['distribution', 'result', 'status']),
    bytesSent: counter('verge_bytes_sent_total', ['distribution']),
    originFetches: counter('verge_origin_fetches_total', ['distribution', 'origin', 'outcome']),
    collapsed: counter('verge_collapsed_requests_total', ['distribution']),
    requestDuration: { observe: (ms: number) => duration.observe(ms / 1000) },
  });
  return { stats, registry };
}

const body = Buffer.alloc(1024, 120);
const origin = createServer((_q, s) => {
  s.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=3600', 'content-length': 1024 });
  s.end(body);
});
await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
const port = (origin.address() as AddressInfo).port;
const plan = compilePlan([
  {
    config: {
      id: 'b',
      aliases: ['localhost'],
      origins: [{ id: 'o', domainName: '127.0.0.1', port, protocol: 'http' }],
      defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingOptimized', compress: false },
    } as never,
    baseDir: '/tmp',
  },
]);
const hand = new EdgeStats();
const prom = promStats();
const ctx = inProcessEdge(plan, { stats: hand });
const deps = ctx.deps;
const rawHeaders = ['Host', 'localhost', 'User-Agent', 'wrk', 'Accept', '*/*'];
const hit = (): InProcessResponse => {
  const res = new InProcessResponse();
  handleRequest(ctx, inProcessRequest('/x', rawHeaders), res.asServerResponse);
  return res;
};
const fill = hit();
await fill.done();
console.log(`fill: status ${fill.status}, X-Cache ${fill.header('x-cache')}, ${fill.bytes} bytes`);

/** `n` hits, 500 at a time (each chunk's responses finish a tick later); throws unless each was a whole 200 Hit. */
async function hits(n: number): Promise<void> {
  for (let i = 0; i < n; i += 500) {
    const chunk: InProcessResponse[] = [];
    for (let j = 0; j < 500 && i + j < n; j++) chunk.push(hit());
    await new Promise<void>((r) => setImmediate(r));
    for (const res of chunk)
      if (!res.writableFinished || res.status !== 200 || res.bytes !== fill.bytes)
        throw new Error(`not a whole 200: status ${res.status}, ${res.bytes} bytes`);
    if (chunk[0]!.header('x-cache') !== 'Hit from verge') throw new Error(`not a hit: ${chunk[0]!.header('x-cache')}`);
  }
}

async function batch(stats: EdgeStats): Promise<number> {
  deps.stats = stats;
  await hits(10_000);
  const c0 = process.cpuUsage();
  await hits(N);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / N;
}
const handUs: number[] = [];
const promUs: number[] = [];
for (let b = 1; b <= BATCHES; b++) {
  handUs.push(await batch(hand));
  promUs.push(await batch(prom.stats));
  console.log(`batch ${b}: hand-written ${handUs.at(-1)!.toFixed(2)} us/request, prom-client ${promUs.at(-1)!.toFixed(2)} us/request`); // prettier-ignore
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`hit path, median of ${BATCHES}: hand-written ${median(handUs).toFixed(2)} us, prom-client ${median(promUs).toFixed(2)} us, ratio prom/hand ${(median(promUs) / median(handUs)).toFixed(3)}`); // prettier-ignore
// The counting alone, as `finish()` in src/edge/server/handler.ts does it for every request.
const counting = (st: EdgeStats) => {
  const req = 'distribution="b",result="Hit",status="2xx"';
  const bytes = 'distribution="b"';
  for (let i = 0; i < 20_000; i++) st.requests.incRendered(req);
  const c0 = process.cpuUsage();
  for (let i = 0; i < N * 10; i++) {
    st.requests.incRendered(req);
    st.bytesSent.incRendered(bytes, 1024);
    st.requestDuration.observe(0.3);
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (N * 10);
};
const countHand = median([1, 2, 3].map(() => counting(hand)));
const countProm = median([1, 2, 3].map(() => counting(prom.stats)));
console.log(`the counting alone: hand-written ${(countHand * 1000).toFixed(0)} ns/request, prom-client ${(countProm * 1000).toFixed(0)} ns/request`); // prettier-ignore
const renders = (f: () => unknown) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 2000; i++) f();
  return Number(process.hrtime.bigint() - t0) / 1000 / 2000;
};
const handRender = renders(() => hand.render());
const promRender = renders(() => prom.registry.metrics());
console.log(`one /metrics render: hand-written ${handRender.toFixed(1)} us, prom-client ${promRender.toFixed(1)} us`);
await deps.origins.close();
origin.close();
