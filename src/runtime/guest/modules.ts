/**
 * @module runtime/guest/modules
 * INSIDE the isolate. `require` for what the bundler left external: the builtin modules the
 * host provides (loaded lazily on first use, each compiled by the host with V8 cached data;
 * deps.md section 11) and, for CloudFront Functions, `cloudfront`. Anything else fails with a
 * message naming the module. Also the lazy globals (Buffer, URL, fetch, ...) and `process`.
 */
import { P, bridge, op } from './host.js';
import { nextTick } from './timers.js';

export interface ModuleConfig {
  /** Every builtin that can be loaded (builtins require each other, e.g. crypto → buffer). */
  builtins: string[];
  /** The builtins user code may require (CloudFront Functions get fewer). */
  userBuiltins: string[];
  /** Lazy globals: name → [module, export]. */
  globals: Record<string, [string, string]>;
}

/** The global slot the host's compiled builtin script writes its factory into. */
const SLOT = '__vergeBuiltinFactory';
type Factory = (b: typeof bridge, r: (name: string) => unknown) => unknown;

const cache = new Map<string, unknown>();
const loading = new Set<string>();
const extra = new Map<string, () => unknown>();
let allowed: string[] = [];
let loadable: string[] = [];

export function configureModules(cfg: ModuleConfig): void {
  allowed = cfg.userBuiltins.filter((n) => !n.startsWith('__'));
  loadable = cfg.builtins.slice();
  for (const name of P.keys(cfg.globals)) {
    const [mod, exp] = cfg.globals[name]!;
    installLazyGlobal(name, () => (requireBuiltin(mod) as Record<string, unknown>)[exp]);
  }
}

/** A module provided by the runtime itself (e.g. `cloudfront`), built on first require. */
export function provideModule(name: string, make: () => unknown): void {
  extra.set(name, make);
  allowed.push(name);
}

function notAvailable(name: string): Error {
  const list = allowed.join(', ');
  const err = new Error(`Cannot find module '${name}': it is not available in Verge functions (allowed: ${list})`);
  (err as { code?: string }).code = 'MODULE_NOT_FOUND';
  return err;
}

/** `require` as user code sees it: the allowed builtins and runtime modules only. */
export function requireModule(spec: unknown): unknown {
  const raw = P.String(spec);
  const name = raw.startsWith('node:') ? raw.slice(5) : raw;
  if (!allowed.includes(name)) throw notAvailable(raw);
  return load(name, raw);
}

/** `require` as builtins see it (and lazy globals): any loadable builtin. */
function requireBuiltin(spec: unknown): unknown {
  const raw = P.String(spec);
  const name = raw.startsWith('node:') ? raw.slice(5) : raw;
  if (!loadable.includes(name) && !extra.has(name)) throw notAvailable(raw);
  return load(name, raw);
}

function load(name: string, raw: string): unknown {
  if (cache.has(name)) return cache.get(name);
  if (loading.has(name)) throw new Error(`Circular require of builtin module '${name}'`);
  loading.add(name);
  try {
    let exportsValue: unknown;
    const make = extra.get(name);
    if (make) {
      exportsValue = make();
    } else {
      if (op('load', name) !== true) throw notAvailable(raw);
      const g = globalThis as unknown as Record<string, Factory | undefined>;
      const factory = g[SLOT];
      delete g[SLOT];
      if (typeof factory !== 'function') throw notAvailable(raw);
      exportsValue = factory(bridge, requireBuiltin);
    }
    cache.set(name, exportsValue);
    return exportsValue;
  } finally {
    loading.delete(name);
  }
}

/**
 * A global that loads its module on first read and then becomes a plain data property.
 * A module that is not available reads as `undefined` (so `typeof fetch` never throws).
 */
export function installLazyGlobal(name: string, get: () => unknown): void {
  const define = (value: unknown) =>
    P.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  P.defineProperty(globalThis, name, {
    configurable: true,
    enumerable: false,
    get() {
      let v: unknown;
      try {
        v = get();
      } catch {
        v = undefined;
      }
      define(v);
      return v;
    },
    set(v: unknown) {
      define(v);
    },
  });
}

function hrtime(prev?: [number, number]): [number, number] {
  const ms = op('now') as number;
  let sec = Math.floor(ms / 1000);
  let ns = Math.floor((ms % 1000) * 1e6);
  if (prev) {
    sec -= prev[0];
    ns -= prev[1];
    if (ns < 0) {
      sec--;
      ns += 1e9;
    }
  }
  return [sec, ns];
}
hrtime.bigint = (): bigint => BigInt(Math.floor((op('now') as number) * 1e6));

/** A tiny `process`: what real functions read. No `binding`, and `exit` does not exit the host. */
export function makeProcess(env: Record<string, string>): Record<string, unknown> {
  const proc: Record<string, unknown> = {
    env,
    version: 'v20.19.0',
    versions: { node: '20.19.0' },
    platform: 'linux',
    arch: 'x64',
    pid: 1,
    ppid: 0,
    title: 'node',
    release: { name: 'node' },
    argv: ['/var/lang/bin/node', '/var/runtime/index.mjs'],
    execArgv: [],
    exitCode: undefined,
    cwd: () => '/var/task',
    nextTick,
    hrtime,
    uptime: () => (op('now') as number) / 1000,
    memoryUsage: () => {
      const used = op('heap') as number;
      return { rss: used, heapTotal: used, heapUsed: used, external: 0, arrayBuffers: 0 };
    },
    emitWarning: (w: unknown) => op('log', 'warn', `Warning: ${w instanceof Error ? w.message : P.String(w)}`),
    exit: (code?: number) => {
      throw new Error(`process.exit(${code ?? ''}) is not available in Verge functions`);
    },
    abort: () => {
      throw new Error('process.abort() is not available in Verge functions');
    },
  };
  for (const m of ['on', 'once', 'off', 'addListener', 'removeListener', 'removeAllListeners', 'prependListener']) {
    proc[m] = () => proc;
  }
  proc.emit = () => false;
  proc.listeners = () => [];
  return proc;
}
