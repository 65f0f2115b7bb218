/**
 * @module bench/micro/function-hit
 * The cost a viewer-request function adds to an edge cache hit, without sockets: the same
 * in-memory request through `handleRequest` on two behaviors of one edge, one plain and one with
 * the header-adding function of `bench:runtime`, in interleaved batches. `CONC` requests are
 * kept in flight at once (1 = one after another; 64 = wrk's connections). Prints CPU µs per request
 * (the whole process) for both, the difference and the ratio. Not a test.
 *   node --no-node-snapshot --import tsx bench/micro/function-hit.ts
 */
import { inProcessEdge, inProcessRequest, InProcessResponse } from './in-process-edge.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/shared/log.js';
import { compilePlan } from '../../src/edge/config/compile.js';
import { FunctionHost } from '../../src/edge/functions/function-host.js';
import { createFunctionRuntime } from '../../src/runtime/host/index.js';
import { HEADER_FUNCTION } from '../../src/runtime/host/bench.js';
import { EdgeStats } from '../../src/edge/observe/stats.js';
import { handleRequest } from '../../src/edge/server/handler.js';

const N = Number(process.env.N ?? 20_000);
const BATCHES = Number(process.env.BATCHES ?? 4);
const CONC = Number(process.env.CONC ?? 1);
const body = Buffer.alloc(1024, 120);
const origin = createServer((_q, s) => {
  s.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=3600', 'content-length': 1024 });
  s.end(body);
});
await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
const port = (origin.address() as AddressInfo).port;
const dir = mkdtempSync(join(tmpdir(), 'verge-fn-hit-'));
writeFileSync(join(dir, 'header.js'), HEADER_FUNCTION);
const plan = compilePlan([
  {
    config: {
      id: 'b',
      aliases: ['localhost'],
      origins: [{ id: 'o', domainName: '127.0.0.1', port, protocol: 'http' }],
      defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingOptimized', compress: false },
      cacheBehaviors: [
        {
          pathPattern: '/fn/*',
          targetOriginId: 'o',
          cachePolicy: 'CachingOptimized',
          compress: false,
          functionAssociations: [{ eventType: 'viewer-request', function: './header.js' }],
        },
      ],
    } as never,
    baseDir: dir,
  },
]);
const stats = new EdgeStats();
const functions = new FunctionHost(createFunctionRuntime(), silentLogger, (r) => {
  // The edge's own metric tap is in edge.ts; this is the cheapest stand-in.
  stats.functionInvocations.inc({ function: r.functionName, outcome: r.ok ? 'ok' : r.errorCode! });
});
await functions.activate(await functions.prepare(plan));
const ctx = inProcessEdge(plan, { functions, stats });
const deps = ctx.deps;

const rawHeaders = ['Host', 'localhost', 'User-Agent', 'wrk', 'Accept', '*/*'];

/** One request; resolves with its response once written (rejects if it was cut). */
function request(url: string): Promise<InProcessResponse> {
  const res = new InProcessResponse();
  handleRequest(ctx, inProcessRequest(url, rawHeaders), res.asServerResponse);
  return res.done();
}

async function time(url: string, n: number, hits = true): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const res = await request(url);
      if (res.status !== 200 || res.bytes !== body.length) throw new Error(`${url}: status ${res.status}, ${res.bytes} bytes`); // prettier-ignore
      if (hits && res.header('x-cache') !== 'Hit from verge') throw new Error(`${url}: X-Cache ${res.header('x-cache')}`); // prettier-ignore
    }
  };
  // CPU time of the whole process (every thread: isolated-vm's timer threads count too), not
  // wall time: the machine is shared, and what a function costs is CPU.
  const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: CONC }, worker));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

for (const url of ['/plain/x', '/fn/x']) await time(url, 2000, false); // fill the cache, warm up
const plain: number[] = [];
const withFn: number[] = [];
for (let b = 0; b < BATCHES; b++) {
  const order = b % 2 === 0 ? ['/plain/x', '/fn/x'] : ['/fn/x', '/plain/x'];
  for (const url of order) (url === '/fn/x' ? withFn : plain).push(await time(url, N));
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [p, f] = [med(plain), med(withFn)];
console.log(`concurrency ${CONC}, ${BATCHES} batches of ${N}`);
console.log(`  hit without function   ${p.toFixed(2)} us/request  (${plain.map((x) => x.toFixed(1)).join(' ')})`);
console.log(`  hit with function      ${f.toFixed(2)} us/request  (${withFn.map((x) => x.toFixed(1)).join(' ')})`);
console.log(`  function cost          ${(f - p).toFixed(2)} us/request; throughput ratio ${(p / f).toFixed(2)}`);
console.log(`  every timed answer a whole 200 Hit from verge; cache hits ${deps.cache.stats().hits}`);
await functions.close();
await deps.origins.close();
origin.close();
rmSync(dir, { recursive: true, force: true });
