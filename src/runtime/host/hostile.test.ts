/**
 * @module runtime/host/hostile.test
 * Hostile functions are contained (issue 3): runaway loops (synchronous, and in an async
 * continuation after awaiting a host promise), memory exhaustion, deep recursion, escape
 * attempts through constructors, prototype tampering, and a function that never completes.
 * In each: an `ok: false` result with the right code, the broken isolate replaced (the next
 * invocation is a cold start on a fresh isolate), the host's event loop kept running, and a
 * healthy function unaffected.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFunctionRuntime } from './index.js';
import { sampleEvent } from './test-events.js';
import type { FunctionSource, InvokeResult, LoadedFunction } from '../../shared/lambda-edge/index.js';

const rt = createFunctionRuntime();
after(() => rt.close());

let seq = 0;
async function load(code: string, extra: Partial<FunctionSource> = {}): Promise<LoadedFunction> {
  seq++;
  return rt.load(
    {
      id: `h${seq}`,
      name: `hostile${seq}`,
      version: '1',
      runtime: 'nodejs',
      handler: 'index.handler',
      code: { files: { 'index.js': code } },
      ...extra,
    },
    { eventTypes: ['viewer-request'] },
  );
}
const invoke = (fn: LoadedFunction, uri = '/') =>
  rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request', { request: { uri } }) });

/** `evil` runs only for uri /evil, so the same function can show that it recovers. */
function hostile(evil: string): string {
  return `exports.handler = async (e) => { if (e.Records[0].cf.request.uri === '/evil') { ${evil} } return e.Records[0].cf.request; };`;
}

const healthy = load(`exports.handler = (e, c, cb) => cb(null, e.Records[0].cf.request);`);

/** Counts host timer ticks while `fn` runs: proof the host event loop was not blocked throughout. */
async function withTicks<T>(fn: () => Promise<T>): Promise<{ value: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  try {
    return { value: await fn(), ticks };
  } finally {
    clearInterval(timer);
  }
}

async function assertContained(fn: LoadedFunction, r: InvokeResult, code: string, message: RegExp): Promise<void> {
  assert.equal(r.ok, false, 'the hostile invocation must fail');
  if (!r.ok) {
    assert.equal(r.code, code);
    assert.match(r.message, message);
  }
  const again = await invoke(fn);
  assert.equal(again.ok, true, again.ok ? '' : again.message);
  assert.equal(again.coldStart, true, 'the broken isolate was replaced by a fresh one');
  const other = await invoke(await healthy);
  assert.equal(other.ok, true);
}

describe('hostile functions', () => {
  test('while(true){} synchronously: timed out, host kept running', async () => {
    const fn = await load(hostile('while (true) {}'), { overrides: { timeoutMs: 400 } });
    const { value: r, ticks } = await withTicks(() => invoke(fn, '/evil'));
    assert.ok(ticks >= 3, `host ticks during the runaway: ${ticks}`);
    await assertContained(fn, r, 'LAMBDA_EXECUTION_ERROR', /^Task timed out after 0\.40 seconds$/);
  });

  test('while(true){} after awaiting a host timer: the watchdog disposes the isolate', async () => {
    const fn = await load(hostile('await new Promise((r) => setTimeout(r, 1)); while (true) {}'), {
      overrides: { timeoutMs: 400 },
    });
    const { value: r, ticks } = await withTicks(() => invoke(fn, '/evil'));
    assert.ok(ticks >= 3, `host ticks during the runaway: ${ticks}`);
    await assertContained(fn, r, 'LAMBDA_EXECUTION_ERROR', /^Task timed out after 0\.40 seconds$/);
  });

  test('while(true){} after awaiting fetch (a host promise)', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    after(() => new Promise<void>((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const fn = await load(hostile(`await (await fetch('${url}')).text(); while (true) {}`), {
      overrides: { timeoutMs: 400 },
      egress: { allow: ['127.0.0.1'] },
    });
    const { value: r, ticks } = await withTicks(() => invoke(fn, '/evil'));
    assert.ok(ticks >= 3, `host ticks during the runaway: ${ticks}`);
    await assertContained(fn, r, 'LAMBDA_EXECUTION_ERROR', /^Task timed out after 0\.40 seconds$/);
  });

  test('while(true){} after setImmediate (a host macrotask)', async () => {
    const fn = await load(hostile('await new Promise((r) => setImmediate(r)); for (;;) {}'), {
      overrides: { timeoutMs: 300 },
    });
    await assertContained(
      fn,
      await invoke(fn, '/evil'),
      'LAMBDA_EXECUTION_ERROR',
      /^Task timed out after 0\.30 seconds$/,
    );
  });

  test('allocating past the memory limit', async () => {
    const fn = await load(hostile('const keep = []; for (;;) keep.push(new Array(1e5).fill({ x: keep.length }));'), {
      overrides: { memoryMB: 32 },
    });
    await assertContained(
      fn,
      await invoke(fn, '/evil'),
      'LAMBDA_EXECUTION_ERROR',
      /^Runtime exited: out of memory \(32 MB\)$/,
    );
  });

  test('allocating past the memory limit in an async continuation', async () => {
    const fn = await load(
      hostile(
        'await new Promise((r) => setTimeout(r, 1)); const keep = []; for (;;) keep.push(new Array(1e5).fill({ x: keep.length }));',
      ),
      { overrides: { memoryMB: 32 } },
    );
    await assertContained(
      fn,
      await invoke(fn, '/evil'),
      'LAMBDA_EXECUTION_ERROR',
      /^Runtime exited: out of memory \(32 MB\)$/,
    );
  });

  test('deep recursion is a RangeError, and the isolate stays usable', async () => {
    const fn = await load(hostile('const f = (n) => f(n + 1) + 1; f(0);'));
    const r = await invoke(fn, '/evil');
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /^RangeError: Maximum call stack size exceeded/);
    const again = await invoke(fn);
    assert.equal(again.ok, true);
  });

  test('constructor escapes reach only the sandbox', async () => {
    const probe = `
      const p = this.constructor.constructor('return process')();
      const g = ({}).constructor.constructor('return this')();
      const out = {
        binding: typeof p.binding, mainModule: typeof p.mainModule, dlopen: typeof p.dlopen,
        hostEnv: Object.keys(p.env).filter((k) => k === 'PATH' || k === 'HOME').length,
        globalRequire: typeof g.require === 'function' ? (() => { try { g.require('child_process'); return 'loaded'; } catch (e) { return e.code; } })() : 'none',
        exit: (() => { try { p.exit(0); return 'returned'; } catch (e) { return 'threw'; } })(),
        sameGlobal: g === globalThis,
      };
      exports.handler = async () => ({ status: 200, headers: {}, body: JSON.stringify(out) });`;
    const fn = await load(probe);
    const r = await invoke(fn);
    assert.ok(r.ok, r.ok ? '' : r.message);
    const out = JSON.parse((r.value as { body: string }).body);
    assert.deepEqual(out, {
      binding: 'undefined',
      mainModule: 'undefined',
      dlopen: 'undefined',
      hostEnv: 0,
      globalRequire: 'MODULE_NOT_FOUND',
      exit: 'threw',
      sameGlobal: true,
    });
  });

  test('prototype tampering stays inside the tenant: not the host, not the next function', async () => {
    const evil = `
      Object.prototype.polluted = 'yes';
      Object.getPrototypeOf(e).pollutedEvent = 'yes';
      Array.prototype.push = function () { throw new Error('tampered push'); };
      JSON.stringify = () => '{"status":"500"}';
      JSON.parse = () => ({});
      Promise.prototype.then = function () { throw new Error('tampered then'); };`;
    const fn = await load(
      `exports.handler = (e, c, cb) => { if (e.Records[0].cf.request.uri === '/evil') { ${evil} } cb(null, e.Records[0].cf.request); };`,
    );
    const r = await invoke(fn, '/evil');
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'host Object.prototype untouched');
    assert.equal(JSON.stringify({ a: 1 }), '{"a":1}', 'host JSON untouched');
    // The runtime's own primordials were captured before user code ran: the result still round-trips.
    assert.equal(r.ok, true, r.ok ? '' : r.message);
    const next = await load(
      `exports.handler = async () => ({ status: 200, headers: {}, body: String(({}).polluted) + ':' + typeof [].push });`,
    );
    const n = await invoke(next);
    assert.ok(n.ok);
    assert.equal((n.value as { body: string }).body, 'undefined:function');
  });

  test('a function that never completes (an interval keeps the loop alive) times out', async () => {
    const fn = await load(
      `exports.handler = (e, c, cb) => { if (e.Records[0].cf.request.uri === '/evil') { setInterval(() => {}, 20); return; } cb(null, e.Records[0].cf.request); };`,
      { overrides: { timeoutMs: 300 } },
    );
    await assertContained(
      fn,
      await invoke(fn, '/evil'),
      'LAMBDA_EXECUTION_ERROR',
      /^Task timed out after 0\.30 seconds$/,
    );
  });

  test('an exception thrown by a timer callback fails the invocation and recycles the instance (spec 2.2 item 9)', async () => {
    const fn = await load(
      `exports.handler = (e, c, cb) => { if (e.Records[0].cf.request.uri === '/evil') { setTimeout(() => { throw new Error('late boom'); }, 5); return; } cb(null, e.Records[0].cf.request); };`,
    );
    await assertContained(fn, await invoke(fn, '/evil'), 'LAMBDA_EXECUTION_ERROR', /^Error: late boom/);
  });
});
