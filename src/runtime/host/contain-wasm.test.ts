/**
 * @module runtime/host/contain-wasm.test
 * WebAssembly memory counts against a function's memory limit (guest/wasm.ts), tried as an
 * attacker would: a 1 GiB `WebAssembly.Memory` in a 128 MB function, a module whose own memory
 * has no maximum and is grown from inside WebAssembly, filling it close to the limit, a second
 * module once the first holds the budget, the original constructors reached through prototypes,
 * and the runtime's own helpers tampered with before compiling. Each over-the-limit case is the
 * out-of-memory failure of that invocation (even when the function catches the error) and the
 * isolate is replaced. CloudFront Functions have no WebAssembly at all.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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
      id: `w${seq}`,
      name: `wasm${seq}`,
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

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/**
 * A module with one memory of `initial` pages (and `max`, when given) exporting `memory`,
 * `grow(pages) -> old size or -1` (memory.grow) and `fill(offset, length)` (memory.fill with 1).
 */
function module(initial: number, max?: number): number[] {
  const str = (s: string) => [s.length, ...Buffer.from(s)];
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  const limits = max === undefined ? [0, ...leb(initial)] : [1, ...leb(initial), ...leb(max)];
  const grow = [0, 0x20, 0, 0x40, 0, 0x0b];
  const fill = [0, 0x20, 0, 0x41, 1, 0x20, 1, 0xfc, 0x0b, 0, 0x0b];
  return [
    ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 0]),
    ...section(3, [2, 0, 1]),
    ...section(5, [1, ...limits]),
    ...section(7, [3, ...str('memory'), 2, 0, ...str('grow'), 0, 0, ...str('fill'), 0, 1]),
    ...section(10, [2, grow.length, ...grow, fill.length, ...fill]),
  ];
}
const bytes = (initial: number, max?: number) => `new Uint8Array([${module(initial, max).join(',')}])`;

/** The handler answers with `body` (a JSON value computed by `code`) unless `code` throws. */
function answering(code: string, init = ''): string {
  return `${init}
exports.handler = async (e) => {
  const uri = e.Records[0].cf.request.uri;
  if (uri === '/') return e.Records[0].cf.request;
  const body = await (async () => { ${code} })();
  return { status: '200', body: JSON.stringify(body) };
};`;
}

async function assertOom(fn: LoadedFunction, r: InvokeResult, mb = 128): Promise<void> {
  assert.equal(r.ok, false, r.ok ? `answered ${JSON.stringify(r.value)}` : '');
  if (r.ok) return;
  assert.equal(r.code, 'LAMBDA_EXECUTION_ERROR');
  assert.equal(r.message, `Runtime exited: out of memory (${mb} MB)`);
  assert.ok(
    r.logs.some((l) => /Runtime\.OutOfMemory: .*over the function's memory limit/.test(l.message)),
    JSON.stringify(r.logs),
  );
  const again = await invoke(fn);
  assert.equal(again.ok, true, again.ok ? '' : again.message);
  assert.equal(again.coldStart, true, 'the isolate was discarded');
}

describe('WebAssembly memory counts against the memory limit', () => {
  test('a 1 GiB WebAssembly.Memory in a 128 MB function is out of memory, even when caught', async () => {
    const fn = await load(
      answering(`
        try { new WebAssembly.Memory({ initial: 16384, maximum: 65536 }); return 'allocated'; }
        catch (err) { return 'caught ' + err.message; }`),
    );
    await assertOom(fn, await invoke(fn, '/evil'));
  });

  test("a module's own memory with no maximum cannot grow past the limit from inside WebAssembly", async () => {
    const fn = await load(
      answering(
        `const { grow, memory } = inst.exports;
         const huge = grow(16384);            // 1 GiB more: refused by the clamped maximum
         const some = grow(100);              // 100 pages: fine
         return { huge, some, pages: memory.buffer.byteLength / 65536 };`,
        `const inst = new WebAssembly.Instance(new WebAssembly.Module(${bytes(1)}), {});`,
      ),
    );
    const r = await invoke(fn, '/grow');
    assert.ok(r.ok, r.ok ? '' : r.message);
    if (r.ok) assert.deepEqual(JSON.parse((r.value as { body: string }).body), { huge: -1, some: 1, pages: 101 });
  });

  test('filling a grown memory close to the limit: heap plus memory over the limit is out of memory', async () => {
    const fn = await load(
      answering(
        `const { grow, fill, memory } = inst.exports;
         const old = grow(2040);              // within the clamped maximum (2048 pages = 128 MB)
         fill(0, memory.buffer.byteLength);   // and really used
         return old;`,
        `const inst = new WebAssembly.Instance(new WebAssembly.Module(${bytes(1)}), {});`,
      ),
    );
    await assertOom(fn, await invoke(fn, '/fill'));
  });

  test('a second module once the first holds the budget: out of memory, not a second budget', async () => {
    const fn = await load(
      answering(`
        const keep = [];
        for (let i = 0; i < 4; i++) keep.push(await WebAssembly.instantiate(${bytes(1024)}));
        return keep.length;`),
    );
    await assertOom(fn, await invoke(fn, '/many'));
  });

  test('the original constructors are out of reach: prototypes, subclasses, tampered helpers', async () => {
    const routes = [
      `const M = Object.getPrototypeOf(new WebAssembly.Memory({ initial: 1 })).constructor;
       new M({ initial: 16384 });`,
      `class M extends WebAssembly.Memory {}; new M({ initial: 16384 });`,
      `const I = WebAssembly.Instance.prototype.constructor;
       new I(new WebAssembly.Module(${bytes(16384)}), {});`,
      `Math.min = () => 0; Object.values = () => [];
       Uint8Array.prototype.set = function () {};
       Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), 'length', { get() { return 0; } });
       Object.prototype.maximum = 65536;
       const { instance } = await WebAssembly.instantiate(${bytes(1)});
       instance.exports.grow(16384) === -1 || (globalThis.grew = true);
       new WebAssembly.Memory({ initial: 16384 });`,
    ];
    for (const code of routes) {
      const fn = await load(answering(`${code}; return 'allocated';`));
      await assertOom(fn, await invoke(fn, '/evil'));
    }
  });

  test('a memory within the limit works, and is given back when collected', async () => {
    const fn = await load(
      answering(`
        const m = new WebAssembly.Memory({ initial: 256, maximum: 512 });
        new Uint8Array(m.buffer).fill(7);
        m.grow(256);
        return m.buffer.byteLength;`),
      { overrides: { memoryMB: 128 } },
    );
    for (let i = 0; i < 10; i++) {
      const r = await invoke(fn, '/ok');
      assert.ok(r.ok, r.ok ? '' : r.message);
      if (r.ok) assert.equal(JSON.parse((r.value as { body: string }).body), 512 * 65536);
    }
  });

  test('the on-demand collector is not reachable from user code', async () => {
    const fn = await load(
      answering(`try { gc = () => 1; } catch {}
        try { Object.defineProperty(globalThis, 'gc', { value: () => 1 }); } catch {}
        return [typeof gc, typeof globalThis.gc];`),
    );
    const r = await invoke(fn, '/gc');
    assert.ok(r.ok, r.ok ? '' : r.message);
    if (r.ok) assert.deepEqual(JSON.parse((r.value as { body: string }).body), ['undefined', 'undefined']);
  });

  test('CloudFront Functions have no WebAssembly', async () => {
    seq++;
    const fn = await rt.load(
      {
        id: `w${seq}`,
        name: `wasm${seq}`,
        version: '1',
        runtime: 'cloudfront-js-2.0',
        handler: 'handler',
        code: {
          files: {
            'index.js': `function handler(event) { return { statusCode: 200, statusDescription: 'OK', headers: { 'x-wasm': { value: typeof WebAssembly + ' ' + typeof gc } } }; }`,
          },
        },
      },
      { eventTypes: ['viewer-request'] },
    );
    const r = await invoke(fn, '/');
    assert.ok(r.ok, r.ok ? '' : r.message);
    if (r.ok) assert.match(JSON.stringify(r.value), /"x-wasm":\[\{"key":"X-Wasm","value":"undefined undefined"\}\]/);
  });
});
