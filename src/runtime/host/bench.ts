/**
 * @module runtime/host/bench
 * Runtime micro-measurements (not a test): cold start (new isolate to first result) and warm
 * invocation overhead of a header-adding viewer-request function through `invoke`.
 * `bench/runtime.ts` can import `measureRuntime`; run directly with
 * `node --no-node-snapshot --import tsx src/runtime/host/bench.ts`.
 */
import { getBuiltins } from './builtins-link.js';
import { guestRuntimeSource } from './guest-code.js';
import { createFunctionRuntime } from './index.js';
import { releaseSpares, retainSpares } from './blank-isolates.js';
import { Instance, type InstanceShared } from './instance.js';
import { buildLambdaPackage } from './package.js';
import { sampleEvent } from './test-events.js';
import type { FunctionSource } from '../../shared/lambda-edge/index.js';
import { systemClock } from '../../shared/clock.js';
import { functionLanes } from './cpu-lanes.js';

export const HEADER_FUNCTION = `exports.handler = (event, context, callback) => {
  const request = event.Records[0].cf.request;
  request.headers['x-verge-bench'] = [{ key: 'X-Verge-Bench', value: '1' }];
  callback(null, request);
};`;

export interface RuntimeFigures {
  /** Everything on the request path, the isolate included. */
  coldStartMs: { p50: number; p99: number; n: number };
  /** With the background-made spare isolate the runtime keeps ready (the normal case). */
  coldStartSpareMs: { p50: number; p99: number; n: number };
  warmInvokeUs: { p50: number; p99: number; n: number };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const source: FunctionSource = {
  id: 'bench',
  name: 'bench',
  version: '1',
  runtime: 'nodejs',
  handler: 'index.handler',
  code: { files: { 'index.js': HEADER_FUNCTION } },
};

/** New isolate + guest runtime + user module + first invocation, `n` times. */
async function coldStarts(n: number, withSpare: boolean): Promise<number[]> {
  if (withSpare) retainSpares();
  const [pkg, builtins, guestSource] = await Promise.all([
    buildLambdaPackage(source, 1 << 20),
    getBuiltins(),
    guestRuntimeSource(),
  ]);
  const shared: InstanceShared = {
    mode: 'lambda',
    memoryMB: 128,
    guestSource,
    pkg,
    configJson: JSON.stringify({
      mode: 'lambda',
      builtins: builtins.names,
      userBuiltins: builtins.names,
      globals: builtins.globals,
      env: {},
      lambda: { functionName: 'bench', functionVersion: '1', memoryMB: 128, handler: 'index.handler' },
    }),
    builtins,
    hostFns: {},
    initTimeoutMs: 10_000,
    clock: systemClock,
    syncSliceMs: 50,
    codeCache: new Map(),
    lanes: functionLanes(),
  };
  const eventJson = JSON.stringify(sampleEvent('viewer-request'));
  const out: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    const t0 = performance.now();
    const inst = await Instance.create(shared, 'bench');
    const o = await inst.invoke(
      eventJson,
      { awsRequestId: 'x', deadlineMs: systemClock.monotonic() + 5000 },
      { timeoutMs: 5000, sliceMs: 50, log: () => {} },
    );
    const t1 = performance.now();
    if (o.kind !== 'ok') throw new Error(`cold start run failed: ${JSON.stringify(o)}`);
    inst.dispose();
    if (i >= 3) out.push(t1 - t0);
    // Cold starts are spaced out in real traffic: give the spare time to be made.
    if (withSpare) await new Promise((r) => setTimeout(r, 15));
  }
  if (withSpare) releaseSpares();
  return out;
}

async function warmInvokes(n: number): Promise<number[]> {
  const rt = createFunctionRuntime();
  try {
    const fn = await rt.load(source, { eventTypes: ['viewer-request'] });
    const input = { eventType: 'viewer-request' as const, event: sampleEvent('viewer-request') };
    const out: number[] = [];
    for (let i = 0; i < n + 500; i++) {
      const t0 = performance.now();
      const r = await rt.invoke(fn, input);
      const t1 = performance.now();
      if (!r.ok) throw new Error(`warm run failed: ${r.message}`);
      if (i >= 500) out.push((t1 - t0) * 1000);
    }
    return out;
  } finally {
    await rt.close();
  }
}

export async function measureRuntime(opts: { cold?: number; warm?: number } = {}): Promise<RuntimeFigures> {
  const cold = (await coldStarts(opts.cold ?? 50, false)).sort((a, b) => a - b);
  const spare = (await coldStarts(opts.cold ?? 50, true)).sort((a, b) => a - b);
  const warm = (await warmInvokes(opts.warm ?? 5000)).sort((a, b) => a - b);
  return {
    coldStartMs: { p50: pct(cold, 50), p99: pct(cold, 99), n: cold.length },
    coldStartSpareMs: { p50: pct(spare, 50), p99: pct(spare, 99), n: spare.length },
    warmInvokeUs: { p50: pct(warm, 50), p99: pct(warm, 99), n: warm.length },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const f = await measureRuntime();
  process.stdout.write(
    `cold start (new isolate to first result): p50 ${f.coldStartMs.p50.toFixed(2)} ms, p99 ${f.coldStartMs.p99.toFixed(2)} ms (n=${f.coldStartMs.n})\n` +
      `cold start with a spare isolate ready: p50 ${f.coldStartSpareMs.p50.toFixed(2)} ms, p99 ${f.coldStartSpareMs.p99.toFixed(2)} ms (n=${f.coldStartSpareMs.n})\n` +
      `warm invoke (header-adding viewer-request, full invoke incl. validation): p50 ${f.warmInvokeUs.p50.toFixed(1)} µs, p99 ${f.warmInvokeUs.p99.toFixed(1)} µs (n=${f.warmInvokeUs.n})\n`,
  );
}
