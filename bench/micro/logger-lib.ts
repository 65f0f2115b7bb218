/**
 * @module bench/micro/logger-lib
 * What pino behind the `Logger` interface (src/shared/log.ts, issue 11) costs on the request
 * path against the hand-written logger it replaced (kept below as it was): an edge writes one
 * line per `console.log` of a function (the function host's `function-log` line, with its
 * fields, under the edge's `pop` base). A cache hit without a function, or with a function that
 * logs nothing, never calls the logger. Both write synchronously to standard error; run with
 * `2>/dev/null` so the terminal is not what is measured. Two measures, alternating batches in
 * one process: the line alone, and a cache hit through a viewer-request function that logs one
 * line (`handleRequest` on in-memory requests and responses, as bench/micro/function-hit.ts), one edge with each
 * logger;
 * prints CPU µs per line (user + system: the machine is shared, so not wall time) for each and the ratio. Not a test.
 *   node --import tsx bench/micro/logger-lib.ts 2>/dev/null
 */
import { inProcessEdge, inProcessRequest, InProcessResponse } from './in-process-edge.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlan } from '../../src/edge/config/compile.js';
import { FunctionHost } from '../../src/edge/functions/function-host.js';
import { handleRequest, type HandlerContext } from '../../src/edge/server/handler.js';
import { createFunctionRuntime } from '../../src/runtime/host/index.js';
import { createLogger, type Logger, type LogFields, type LogLevel } from '../../src/shared/log.js';

const N = Number(process.env.N ?? 50_000);
const BATCHES = Number(process.env.BATCHES ?? 5);

/** The hand-written logger before pino (src/shared/log.ts at 4528258). */
function handLogger(base: LogFields = {}): Logger {
  const write = (line: string) => process.stderr.write(line + '\n');
  return {
    log(level: LogLevel, msg: string, fields?: LogFields) {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }));
    },
    child(fields) {
      return handLogger({ ...base, ...fields });
    },
  };
}

const fields = {
  type: 'function-log',
  functionName: 'security-headers',
  functionVersion: '3',
  eventType: 'viewer-response',
  requestId: 'Qm9vdHN0cmFwIHJlcXVlc3QgaWQgMTIzNDU2Nzg5MA==',
  distributionId: 'demo',
  consoleLevel: 'log',
  logTime: '2026-12-07T20:00:00.000Z',
};
const hand = handLogger({ pop: 'us-east-1' });
const pino = createLogger({ base: { pop: 'us-east-1' } });

function batch(l: Logger): number {
  for (let i = 0; i < 2000; i++) l.log('info', 'served /p/42 from cache', fields);
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) l.log('info', 'served /p/42 from cache', fields);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / N;
}
const h: number[] = [];
const p: number[] = [];
for (let b = 1; b <= BATCHES; b++) {
  h.push(batch(hand));
  p.push(batch(pino));
  console.log(`batch ${b}: hand-written ${h.at(-1)!.toFixed(2)} us/line, pino ${p.at(-1)!.toFixed(2)} us/line`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`median of ${BATCHES}: hand-written ${median(h).toFixed(2)} us/line, pino ${median(p).toFixed(2)} us/line, ratio pino/hand ${(median(p) / median(h)).toFixed(3)}`); // prettier-ignore

// A cache hit through a function that logs one line, with each logger.
const origin = createServer((_q, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=3600', 'content-length': 4 });
  res.end('body');
});
await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
const dir = mkdtempSync(join(tmpdir(), 'verge-logger-bench-'));
writeFileSync(
  join(dir, 'fn.js'),
  `exports.handler = (e, c, cb) => { console.log('viewer', e.Records[0].cf.request.uri); cb(null, e.Records[0].cf.request); };`,
);
const plan = compilePlan([
  {
    config: {
      id: 'b',
      aliases: ['localhost'],
      origins: [{ id: 'o', domainName: '127.0.0.1', port: (origin.address() as AddressInfo).port, protocol: 'http' }],
      defaultCacheBehavior: {
        targetOriginId: 'o',
        cachePolicy: 'CachingOptimized',
        compress: false,
        functionAssociations: [{ eventType: 'viewer-request', function: './fn.js' }],
      },
    } as never,
    baseDir: dir,
  },
]);
async function edgeWith(logger: Logger): Promise<HandlerContext> {
  const functions = new FunctionHost(createFunctionRuntime(), logger);
  await functions.activate(await functions.prepare(plan));
  return inProcessEdge(plan, { functions, logger, cacheBytes: 1 << 26 });
}
const rawHeaders = ['Host', 'localhost'];
/** One request through the function; resolves once written, rejects unless a whole 200 (a Hit, when `hit`). */
const request = async (ctx: HandlerContext, hit: boolean): Promise<void> => {
  const res = new InProcessResponse();
  handleRequest(ctx, inProcessRequest('/x', rawHeaders), res.asServerResponse);
  await res.done();
  if (res.status !== 200 || res.bytes !== 4) throw new Error(`status ${res.status}, ${res.bytes} bytes`);
  if (hit && res.header('x-cache') !== 'Hit from verge') throw new Error(`X-Cache ${res.header('x-cache')}`);
};
async function hits(ctx: HandlerContext, n: number, hit = true): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await request(ctx, hit);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}
// One edge (a second edge's isolates run ~10% apart from the first's whatever the logger), whose
// function host logs through a switch that points at one logger or the other per batch.
let target: Logger = hand;
const switched: Logger = { log: (l, m, f) => target.log(l, m, f), child: (f) => target.child(f) };
const ctx = await edgeWith(switched);
const HITS = Number(process.env.HITS ?? 5000);
await hits(ctx, 1000, false); // fill the cache, warm up
const hh: number[] = [];
const hp: number[] = [];
const run = async (which: 'hand' | 'pino') => {
  target = which === 'hand' ? hand : pino;
  (which === 'hand' ? hh : hp).push(await hits(ctx, HITS));
};
for (let b = 0; b < BATCHES; b++) {
  // Each goes first every other batch, so neither always runs on a warmer process.
  for (const which of b % 2 === 0 ? (['hand', 'pino'] as const) : (['pino', 'hand'] as const)) await run(which);
}
console.log(`hit through a function that logs one line, median of ${BATCHES}: hand-written ${median(hh).toFixed(1)} us/request, pino ${median(hp).toFixed(1)} us/request, ratio pino/hand ${(median(hp) / median(hh)).toFixed(3)}`); // prettier-ignore
await ctx.deps.functions.close();
await ctx.deps.origins.close();
origin.close();
rmSync(dir, { recursive: true, force: true });
