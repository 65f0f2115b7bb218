/**
 * @module bench/micro/hit-path
 * The edge's cache-hit path without sockets: `handleRequest` on in-memory request and response
 * objects, N times, against a bare handler that writes the same object (the reference). Prints
 * µs per request for both and the ratio. Not a test.
 */
import { inProcessEdge } from './in-process-edge.js';
import { compilePlan } from '../../src/edge/config/compile.js';
import { handleRequest } from '../../src/edge/server/handler.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const N = Number(process.env.N ?? 200_000);
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

const socket = { remoteAddress: '127.0.0.1', remotePort: 5555 };
const rawHeaders = ['Host', 'localhost', 'User-Agent', 'wrk', 'Accept', '*/*'];
function fakeReq(): any {
  return {
    url: '/x',
    method: 'GET',
    httpVersion: '1.1',
    rawHeaders,
    headers: { host: 'localhost', 'user-agent': 'wrk', accept: '*/*' },
    socket,
    on() {},
  };
}
let written = 0;
const fakeRes: any = {
  writeHead(_s: number, _t: string, h: string[]) {
    written += h.length;
  },
  end(b?: Buffer) {
    written += b ? b.length : 0;
  },
  destroy() {},
};
// Fill the cache (one real origin fetch), then time hits.
await new Promise<void>((resolve) => {
  fakeRes.end = (b?: Buffer) => {
    written += b ? b.length : 0;
    resolve();
  };
  handleRequest(ctx, fakeReq(), fakeRes);
});
fakeRes.end = (b?: Buffer) => void (written += b ? b.length : 0);

function time(label: string, fn: () => void): number {
  for (let i = 0; i < 20_000; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn();
  const us = Number(process.hrtime.bigint() - t0) / 1000 / N;
  console.log(`${label.padEnd(28)} ${us.toFixed(2)} us/request`);
  return us;
}
let verge = 0;
for (let batch = 1; batch <= Number(process.env.BATCHES ?? 1); batch++) {
  verge = time(`verge hit path (batch ${batch})`, () => handleRequest(ctx, fakeReq(), fakeRes));
}
const bare = time('bare handler (reference)', () => {
  fakeRes.writeHead(200, 'OK', [
    'content-type',
    'text/plain',
    'cache-control',
    'max-age=3600',
    'content-length',
    '1024',
  ]);
  fakeRes.end(body);
});
console.log(
  `hit path overhead over the reference: ${(verge - bare).toFixed(2)} us; stats hits ${deps.cache.stats().hits}`,
);
await deps.origins.close();
origin.close();
