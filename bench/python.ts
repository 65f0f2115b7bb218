/**
 * @module bench/python
 * `npm run bench:python`: Python function figures from issue 6, beside the JavaScript runtime's
 * from the same run (measureRuntime, runtime/host/bench):
 * - cold start: a new interpreter process booted from the memory snapshot, the function's module
 *   imported, first event answered (p50/p99; target p50 ≤ 300 ms); also with the spare interpreter
 *   the runtime keeps booted (the normal case on the request path); and, as the floor under the
 *   first figure, an empty node script started in the same sandbox;
 * - warm invocation overhead of a header-adding viewer-request handler through `invoke`
 *   (validation included), p50/p99 (target p50 ≤ 300 µs).
 * Env: BENCH_PY_COLD (default 20), BENCH_PY_WARM (default 3000).
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { measureRuntime } from '../src/runtime/host/bench.js';
import { sampleEvent } from '../src/runtime/host/test-events.js';
import { createPythonRuntime } from '../src/runtime/python/index.js';
import { Interpreter } from '../src/runtime/python/interpreter.js';
import { spareReady } from '../src/runtime/python/spares.js';
import { BASE_DATA_MB, sandboxedArgv, snapshotFile } from '../src/runtime/python/sandbox.js';
import type { FunctionSource } from '../src/shared/lambda-edge/index.js';

const COLD = Number(process.env.BENCH_PY_COLD ?? 20);
const WARM = Number(process.env.BENCH_PY_WARM ?? 3000);

export const HEADER_HANDLER = `def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    request["headers"]["x-verge-bench"] = [{"key": "X-Verge-Bench", "value": "1"}]
    return request
`;

const source: FunctionSource = {
  id: 'bench-py',
  name: 'bench',
  version: '1',
  runtime: 'python',
  handler: 'index.handler',
  code: { files: { 'index.py': HEADER_HANDLER } },
};

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function stats(xs: number[]): { p50: number; p99: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), n: s.length };
}

/** Per cold start: where the time went (host-side spawn to ready, and the process's own phases). */
const phaseRows: Record<string, number[]> = {
  'spawn + sandbox execs': [],
  'node start': [],
  loadPyodide: [],
  'warm-up': [],
  'init + first event': [],
};

/** New process from the snapshot + init + first event, measured end to end, `n` times. */
async function coldStarts(n: number): Promise<number[]> {
  await snapshotFile();
  const files = { 'index.py': new TextEncoder().encode(HEADER_HANDLER) };
  const event = JSON.stringify(sampleEvent('viewer-request'));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const it = await Interpreter.start({ dataMB: BASE_DATA_MB + 128 });
    const ready = performance.now() - t0;
    const err = await it.init(
      { files, handler: 'index.handler', env: {}, fetch: { timeoutMs: 1000, maxBytes: 1 << 20 } },
      10_000,
      () => {},
    );
    if (err) throw new Error(err);
    const meta = { awsRequestId: 'x', invokedFunctionArn: 'arn', logStreamName: 's' };
    const r = await it.invoke(event, meta, 5000, () => {});
    out.push(performance.now() - t0);
    const p = it.bootPhases;
    if (p) {
      // The process's clock starts at its exec of node; before that: spawn and the sandbox's execs.
      phaseRows['spawn + sandbox execs']!.push(ready - p.warmup);
      phaseRows['node start']!.push(p.node);
      phaseRows.loadPyodide!.push(p.pyodide - p.node);
      phaseRows['warm-up']!.push(p.warmup - p.pyodide);
    }
    phaseRows['init + first event']!.push(performance.now() - t0 - ready);
    it.kill();
    if (r.kind !== 'ok') throw new Error(`cold run failed: ${JSON.stringify(r)}`);
  }
  return out;
}

/**
 * The floor under a new interpreter on this machine: an empty script in a node process started
 * the same way (same sandbox layers, permission model), spawn to exit.
 */
async function nodeFloor(n: number): Promise<number[]> {
  const argv = sandboxedArgv(['--experimental-permission', '--no-warnings', '-e', '0'], BASE_DATA_MB + 128);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { env: {}, stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`the empty sandboxed node process exited with ${code}`);
    out.push(performance.now() - t0);
  }
  return out;
}

/** Loads through the runtime: with the spare interpreter ready, a load is init + first event. */
async function spareColdStarts(n: number): Promise<number[]> {
  const rt = createPythonRuntime();
  const out: number[] = [];
  try {
    // Round -1 only starts the runtime's spare; the measured rounds each find one booted.
    for (let i = -1; i < n; i++) {
      // The background spare is booted between two cold starts, as it would be under traffic.
      // (pool.ts starts a replacement spare 1 s after one is taken.)
      await new Promise((r) => setTimeout(r, 1_300));
      await spareReady(BASE_DATA_MB + 128);
      const t0 = performance.now();
      const fn = await rt.load({ ...source, id: `spare-${i}` }, { eventTypes: ['viewer-request'] });
      const r = await rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') });
      if (i >= 0) out.push(performance.now() - t0);
      if (!r.ok) throw new Error(r.message);
      await rt.unload(fn);
    }
  } finally {
    await rt.close();
  }
  return out;
}

async function warmInvokes(n: number): Promise<number[]> {
  const rt = createPythonRuntime();
  try {
    const fn = await rt.load(source, { eventTypes: ['viewer-request'] });
    const out: number[] = [];
    for (let i = 0; i < n + 300; i++) {
      const event = sampleEvent('viewer-request');
      const t0 = performance.now();
      const r = await rt.invoke(fn, { eventType: 'viewer-request', event });
      const t1 = performance.now();
      if (!r.ok) throw new Error(`warm run failed: ${r.message}`);
      if (i >= 300) out.push((t1 - t0) * 1000);
    }
    return out;
  } finally {
    await rt.close();
  }
}

const fmt = (s: { p50: number; p99: number; n: number }, unit: string, digits: number) =>
  `p50 ${s.p50.toFixed(digits)} ${unit}, p99 ${s.p99.toFixed(digits)} ${unit} (n=${s.n})`;

const load0 = loadavg()[0]!.toFixed(2);
const floor = stats(await nodeFloor(COLD));
const cold = stats(await coldStarts(COLD));
const spare = stats(await spareColdStarts(Math.max(3, Math.floor(COLD / 2))));
const warm = stats(await warmInvokes(WARM));
const js = await measureRuntime({ cold: 30, warm: WARM });
process.stdout.write(
  `machine: ${cpus().length} cores, load average ${load0} at start, ${loadavg()[0]!.toFixed(2)} at end\n` +
    `floor: an empty node script in the same sandbox, spawn to exit: ${fmt(floor, 'ms', 1)}\n` +
    `python cold start (new interpreter from the snapshot to first result): ${fmt(cold, 'ms', 1)}  [target p50 <= 300 ms]\n` +
    `  its phases (p50 ms): ${Object.entries(phaseRows)
      .map(([k, xs]) => `${k} ${xs.length ? stats(xs).p50.toFixed(0) : '-'}`)
      .join(', ')}\n` +
    `python cold start with the spare interpreter ready (load + first event): ${fmt(spare, 'ms', 1)}\n` +
    `python warm invoke (header-adding viewer-request, full invoke incl. IPC and validation): ${fmt(warm, 'µs', 1)}  [target p50 <= 300 µs]\n` +
    `javascript cold start (new isolate to first result): ${fmt(js.coldStartMs, 'ms', 2)}\n` +
    `javascript cold start with a spare isolate ready: ${fmt(js.coldStartSpareMs, 'ms', 2)}\n` +
    `javascript warm invoke (same function in JS): ${fmt(js.warmInvokeUs, 'µs', 1)}\n`,
);
