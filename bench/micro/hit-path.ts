/**
 * @module bench/micro/hit-path
 * The edge's cache-hit path without sockets: `handleRequest` on in-memory requests writing to
 * in-memory responses (real Writables, bench/micro/in-process-edge.ts), N times, against a bare
 * handler that writes the same object to the same kind of response (the reference). Prints CPU
 * µs per request for both (user + system: the machine is shared, so not wall time) and the
 * difference, after checking that every verge answer was a whole 200 `Hit from verge`. Not a test.
 *   N=200000 BATCHES=3 node --no-node-snapshot --import tsx bench/micro/hit-path.ts
 */
import { inProcessEdge, inProcessRequest, InProcessResponse } from './in-process-edge.js';
import { compilePlan } from '../../src/edge/config/compile.js';
import { handleRequest } from '../../src/edge/server/handler.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const N = Number(process.env.N ?? 200_000);
const BATCHES = Number(process.env.BATCHES ?? 3);
/** Requests issued synchronously before the loop yields, so a response's 'finish' (a tick later) runs in the timed window. */
const CHUNK = 500;
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
const ctx = inProcessEdge(plan);
const deps = ctx.deps;
const rawHeaders = ['Host', 'localhost', 'User-Agent', 'wrk', 'Accept', '*/*'];

// Fill the cache (one real origin fetch, streamed into the store and to this response).
const first = new InProcessResponse();
handleRequest(ctx, inProcessRequest('/x', rawHeaders), first.asServerResponse);
await first.done();
console.log(`fill: status ${first.status}, X-Cache ${first.header('x-cache')}, ${first.bytes} bytes`);

const verge = (): InProcessResponse => {
  const res = new InProcessResponse();
  handleRequest(ctx, inProcessRequest('/x', rawHeaders), res.asServerResponse);
  return res;
};
const bare = (): InProcessResponse => {
  const res = new InProcessResponse();
  inProcessRequest('/x', rawHeaders);
  res.writeHead(200, 'OK', ['Content-Type', 'text/plain', 'Cache-Control', 'max-age=3600', 'Content-Length', '1024']);
  res.end(body);
  return res;
};

/** CPU µs per request over `n` requests; throws unless each was a whole 200 (and a hit, when `hit`). */
async function time(n: number, fn: () => InProcessResponse, hit: boolean): Promise<number> {
  const hits0 = deps.cache.stats().hits;
  const c0 = process.cpuUsage();
  const chunk: InProcessResponse[] = [];
  for (let i = 0; i < n; i += CHUNK) {
    chunk.length = 0;
    for (let j = 0; j < CHUNK && i + j < n; j++) chunk.push(fn());
    await new Promise<void>((r) => setImmediate(r));
    for (const res of chunk)
      if (!res.writableFinished || res.status !== 200 || res.bytes !== body.length)
        throw new Error(`not a whole 200: status ${res.status}, ${res.bytes} bytes`);
    if (hit && chunk[0]!.header('x-cache') !== 'Hit from verge')
      throw new Error(`not a hit: X-Cache ${chunk[0]!.header('x-cache')}`);
  }
  const c = process.cpuUsage(c0);
  if (hit && deps.cache.stats().hits - hits0 !== n)
    throw new Error(`${n} requests, ${deps.cache.stats().hits - hits0} cache hits`);
  return (c.user + c.system) / n;
}

await time(20_000, verge, true); // warm up
await time(20_000, bare, false);
const vs: number[] = [];
const bs: number[] = [];
for (let b = 1; b <= BATCHES; b++) {
  vs.push(await time(N, verge, true));
  bs.push(await time(N, bare, false));
  console.log(`batch ${b}: verge hit path ${vs.at(-1)!.toFixed(2)} us/request, bare handler ${bs.at(-1)!.toFixed(2)} us/request`); // prettier-ignore
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [v, r] = [median(vs), median(bs)];
console.log(
  `median of ${BATCHES} (CPU): verge hit path ${v.toFixed(2)} us/request, bare handler ${r.toFixed(2)} us/request, ` +
    `overhead ${(v - r).toFixed(2)} us; every verge answer a 200 Hit from verge (${deps.cache.stats().hits} cache hits)`,
);
await deps.origins.close();
origin.close();
