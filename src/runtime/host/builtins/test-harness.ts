/**
 * @module runtime/host/builtins/test-harness
 * A minimal isolate with the builtins installed exactly as the runtime contract describes
 * (src/runtime/host/builtins.ts): `bridge.call` is an ivm.Callback, `bridge.callAsync` an
 * ivm.Reference applied with copied arguments and a copied promise result, `require` covers
 * BUILTIN_NAMES (with the `node:` prefix), and GUEST_GLOBALS are lazy getters. For the builtins'
 * own tests and measurements; the production loader lives in runtime-core.
 */
import ivm from 'isolated-vm';
import { BUILTIN_NAMES, GUEST_GLOBALS, builtinSource, createHostFunctions } from '../builtins.js';
import type { HostFunctionOptions } from './host-functions.js';

export interface Sandbox {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  /** Lines the guest printed with console.log/warn/error. */
  readonly logs: string[];
  /** Runs `body` as an async function inside the isolate and returns a copy of its result. */
  run<T = unknown>(body: string): Promise<T>;
  dispose(): void;
}

export interface SandboxOptions {
  host?: Partial<HostFunctionOptions>;
  memoryLimitMb?: number;
  timeoutMs?: number;
}

const PRELUDE = `(function (call, asyncRef, source, log, names, globalsMap) {
  const bridge = Object.freeze({
    call: (name, ...args) => call(name, ...args),
    callAsync: (name, ...args) => asyncRef.apply(undefined, [name, ...args], { arguments: { copy: true }, result: { promise: true, copy: true } }),
  });
  const cache = new Map();
  function require(name) {
    const n = String(name).startsWith('node:') ? String(name).slice(5) : String(name);
    if (cache.has(n)) return cache.get(n);
    if (!names.includes(n)) throw new Error("Cannot find module '" + name + "'");
    const factory = (0, eval)(source(n));
    const exp = factory(bridge, require);
    cache.set(n, exp);
    return exp;
  }
  globalThis.require = require;
  const fmt = (a) => a.map((x) => (typeof x === 'string' ? x : (() => { try { return JSON.stringify(x); } catch { return String(x); } })())).join(' ');
  globalThis.console = { log: (...a) => log(fmt(a)), info: (...a) => log(fmt(a)), warn: (...a) => log(fmt(a)), error: (...a) => log(fmt(a)), debug: (...a) => log(fmt(a)) };
  for (const [g, [m, e]] of Object.entries(globalsMap)) {
    const define = (v) => Object.defineProperty(globalThis, g, { value: v, writable: true, configurable: true, enumerable: false });
    Object.defineProperty(globalThis, g, { configurable: true, enumerable: false, get() { const v = require(m)[e]; define(v); return v; }, set: define });
  }
})`;

export async function createSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const sources = new Map<string, string>();
  for (const n of BUILTIN_NAMES) sources.set(n, await builtinSource(n));
  const fns = createHostFunctions({ fetchTimeoutMs: 5000, maxFetchBytes: 1 << 20, ...opts.host });
  const isolate = new ivm.Isolate({ memoryLimit: opts.memoryLimitMb ?? 128 });
  const context = await isolate.createContext();
  const logs: string[] = [];
  const lookup = (name: string) => {
    const fn = fns[name];
    if (!fn) throw new Error(`no host function "${name}"`);
    return fn;
  };
  const prelude = await context.eval(PRELUDE, { reference: true });
  await prelude.apply(undefined, [
    new ivm.Callback((name: string, ...args: unknown[]) => lookup(name)(...args)),
    new ivm.Reference(async (name: string, ...args: unknown[]) => lookup(name)(...args)),
    new ivm.Callback((name: string) => sources.get(name)),
    new ivm.Callback((line: string) => void logs.push(line)),
    new ivm.ExternalCopy([...BUILTIN_NAMES]).copyInto(),
    new ivm.ExternalCopy(GUEST_GLOBALS).copyInto(),
  ]);
  prelude.release();
  return {
    isolate,
    context,
    logs,
    run: <T>(body: string) =>
      context.eval(`(async () => {\n${body}\n})()`, {
        promise: true,
        copy: true,
        timeout: opts.timeoutMs ?? 5000,
      }) as Promise<T>,
    dispose: () => {
      if (!isolate.isDisposed) isolate.dispose();
    },
  };
}
