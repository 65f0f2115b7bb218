/**
 * @module runtime/host/instance
 * One isolate running one function, one invocation at a time (Lambda's execution environment:
 * module globals persist between invocations). Owns the host side of the bridge (deps.md 1):
 * sync host functions as ivm.Callback, async ones as ivm.Reference, handed to the guest's
 * `init` as arguments so nothing reachable by user code can call `.apply` with its own options.
 *
 * Two ways in. Fast: `applySync` with a short CPU slice; the handler usually completes inside
 * it (12–17 µs round trip). Slow: async `apply` off the main thread, with the event's timeout
 * as the CPU limit. Either way a wall-clock watchdog disposes the isolate when an async
 * continuation runs away (CPU timeouts do not cover those; deps.md 1c). Between invocations
 * the environment is frozen as in Lambda: host timers and host calls that finish while the
 * instance is idle are delivered when the next invocation starts.
 */
import ivm from 'isolated-vm';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import type { FunctionLogLine } from '../../shared/lambda-edge/index.js';
import type { BuiltinSet } from './builtins-link.js';
import type { BuiltPackage } from './package.js';
import { compile, takeBlank, type Blank, type CodeCache } from './blank-isolates.js';
import type { CpuLanes } from './cpu-lanes.js';
import { MAX_HOST_CALLS, MAX_HOST_CALLS_IN_FLIGHT, hostCallLimit } from './host-work.js';

export type Outcome =
  | { kind: 'ok'; json: string }
  | { kind: 'error'; message: string }
  | { kind: 'invalid-json'; message: string }
  | { kind: 'timeout' }
  | { kind: 'oom' }
  | { kind: 'slice' }
  | { kind: 'crash'; message: string };

/** State shared by every instance of one loaded function. */
export interface InstanceShared {
  mode: 'lambda' | 'cff';
  memoryMB: number;
  guestSource: string;
  pkg: BuiltPackage;
  configJson: string;
  builtins: BuiltinSet;
  hostFns: Record<string, (...args: any[]) => unknown>;
  initTimeoutMs: number;
  /** The runtime's injected clock: a Lambda context's remaining time is read on its monotonic side. */
  clock: Clock;
  /** Module init first runs synchronously within this slice; past it, again off the main thread. */
  syncSliceMs: number;
  kvs?: { get(key: string): string | null; meta(): unknown };
  /** V8 cached data, produced by the first instance and reused by the next ones. */
  codeCache: Map<string, ivm.ExternalCopy<ArrayBuffer>>;
  /** Off-main-thread invocations of this function run one lane at a time per spare core. */
  lanes: CpuLanes;
}

export interface InvokeOptions {
  timeoutMs: number;
  /** Use applySync with this CPU slice (ms); undefined = the async path. */
  sliceMs?: number;
  log: (level: FunctionLogLine['level'], message: string) => void;
}

/** Host timers one isolate holds: the guest keeps its timers itself and needs one (a bug bound). */
const MAX_SLEEPS = 8;

const MEMORY_RE = /memory limit|Array buffer allocation failed|out of memory/i;
const TIMEOUT_RE = /Script execution timed out/;
const BUILTIN_SLOT = '__vergeBuiltinFactory';
const builtinCache = new Map<string, CodeCache>();
class InitSliceExceeded extends Error {}

/** The outcome of a guest report (`done`): the result's JSON, or why there is none. */
function reported(kind: unknown, payload: string): Outcome {
  if (kind === 'ok') return { kind: 'ok', json: payload };
  if (kind === 'invalid-json') return { kind: 'invalid-json', message: payload };
  return { kind: 'error', message: payload };
}

/** One invocation in flight: its outcome once settled, and what to undo then. */
interface Running {
  id: number;
  outcome: Outcome | undefined;
  resolve: ((o: Outcome) => void) | undefined;
  watchdog: NodeJS.Timeout | undefined;
  oomPoll: NodeJS.Timeout | undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class Instance {
  readonly isolate: ivm.Isolate;
  readonly logStreamName: string;
  #shared: InstanceShared;
  #context: ivm.Context;
  #invoke!: ivm.Reference<(e: string, m: string) => void>;
  #checkIdle!: ivm.Reference<() => string | undefined>;
  #busy = false;
  #dead = false;
  #crashRequested = false;
  /** Set by the guest (op 'oom') when WebAssembly memory went past the limit (guest/wasm.ts). */
  #oomRequested = false;
  #seq = 0;
  #current: { id: number; settle: (o: Outcome) => void; log: InvokeOptions['log'] } | undefined;
  #sleeps = new Map<number, { timer: NodeJS.Timeout; resolve: (fired: boolean) => void }>();
  #frozen: Array<() => void> = [];
  /** Asynchronous host calls made by the current invocation, and those not yet settled. */
  #calls = 0;
  #inflight = 0;
  #ticks = 0;
  invocations = 0;

  #api: ivm.Reference<Record<string, unknown>>;

  private constructor(shared: InstanceShared, logStreamName: string, blank: Blank) {
    this.#shared = shared;
    this.logStreamName = logStreamName;
    this.isolate = blank.isolate;
    this.#context = blank.context;
    this.#api = blank.api;
  }

  /**
   * Initialize the guest runtime and run the function's module code: synchronously within the
   * slice first (no thread hop), and if the module's top level outgrows it, again from scratch on
   * a fresh isolate off the main thread (the host was blocked meanwhile, so nothing escaped).
   */
  static async create(shared: InstanceShared, logStreamName: string): Promise<Instance> {
    for (const sync of [true, false]) {
      const inst = new Instance(
        shared,
        logStreamName,
        await takeBlank(Math.max(8, shared.memoryMB), shared.guestSource),
      );
      try {
        await inst.#boot(sync);
        return inst;
      } catch (e) {
        inst.dispose();
        if (!(e instanceof InitSliceExceeded)) throw e;
      }
    }
    throw new Error('unreachable');
  }

  get dead(): boolean {
    return this.#dead || this.isolate.isDisposed;
  }
  get crashRequested(): boolean {
    return this.#crashRequested || this.#oomRequested;
  }

  async #boot(sync: boolean): Promise<void> {
    const s = this.#shared;
    const api = this.#api;
    const fn = (name: string) => api.getSync(name, { reference: true }) as ivm.Reference<any>;
    const cff = s.mode === 'cff';
    this.#invoke = fn(cff ? 'invokeCff' : 'invoke');
    this.#checkIdle = fn(cff ? 'checkIdleCff' : 'checkIdle');
    fn('init').applySync(undefined, [
      new ivm.Callback((name: string, ...args: unknown[]) => this.#callHost(name, args)),
      new ivm.Reference((name: string, ...args: unknown[]) => this.#callHostAsync(name, args)),
      new ivm.Callback((name: string, ...args: unknown[]) => this.#op(name, args)),
      new ivm.Reference((name: string, ...args: unknown[]) => this.#opAsync(name, args)),
      s.configJson,
    ]);
    const user = compile(
      this.isolate,
      s.pkg.wrapper,
      s.pkg.filename.replace(/^\/var\/task\//, ''),
      s.codeCache,
      'user',
    );
    const wrapper = user.runSync(this.#context, { reference: true }) as ivm.Reference<unknown>;
    const load = fn(cff ? 'loadCff' : 'loadUser');
    const args = cff ? [wrapper.derefInto(), s.pkg.filename] : [wrapper.derefInto(), s.pkg.exportPath, s.pkg.filename];
    this.#busy = true;
    this.#current = { id: 0, settle: () => {}, log: (level, message) => this.#initLog.push({ level, message }) };
    const slice = Math.min(s.syncSliceMs, s.initTimeoutMs);
    try {
      if (sync) load.applySync(undefined, args, { timeout: slice });
      else await load.apply(undefined, args, { timeout: s.initTimeoutMs });
      if (this.#oomRequested) throw new Error('out of memory');
    } catch (e) {
      const msg = messageOf(e);
      if (this.#oomRequested) throw new Error(`Init ran out of memory (${s.memoryMB} MB)`);
      if (sync && TIMEOUT_RE.test(msg) && slice < s.initTimeoutMs) throw new InitSliceExceeded(msg);
      if (TIMEOUT_RE.test(msg)) throw new Error(`Init timed out after ${(s.initTimeoutMs / 1000).toFixed(2)} seconds`);
      if (MEMORY_RE.test(msg) || this.isolate.isDisposed) throw new Error(`Init ran out of memory (${s.memoryMB} MB)`);
      throw e;
    } finally {
      this.#busy = false;
      this.#current = undefined;
    }
  }

  /** Log lines written by module initialization (delivered with the first invocation). */
  #initLog: Array<{ level: FunctionLogLine['level']; message: string }> = [];
  takeInitLog(): Array<{ level: FunctionLogLine['level']; message: string }> {
    const l = this.#initLog;
    this.#initLog = [];
    return l;
  }

  /** What host functions see of the invocation that called them (`this`): its log. */
  readonly #callContext = {
    log: (level: 'warn' | 'error', message: string) => this.#current?.log(level, message),
  };

  #callHost(name: string, args: unknown[]): unknown {
    const f = this.#shared.hostFns[name];
    if (typeof f !== 'function') throw new Error(`Unknown host function '${name}'`);
    return f.apply(this.#callContext, args);
  }

  /** Count one asynchronous host call; refuse it past the caps (the guest sees a rejection). */
  #admit(): void {
    if (this.#inflight >= MAX_HOST_CALLS_IN_FLIGHT)
      throw hostCallLimit(`more than ${MAX_HOST_CALLS_IN_FLIGHT} host calls (fetch, crypto, timers) in flight at once`);
    if (++this.#calls > MAX_HOST_CALLS)
      throw hostCallLimit(`more than ${MAX_HOST_CALLS} host calls (fetch, crypto, timers) in one invocation`);
  }

  async #callHostAsync(name: string, args: unknown[]): Promise<unknown> {
    const f = this.#shared.hostFns[name];
    if (typeof f !== 'function') throw new Error(`Unknown host function '${name}'`);
    let value: unknown;
    let error: unknown;
    let failed = false;
    // A call the guest made during a fast-path attempt arrives here only after that crossing
    // ended. If the attempt was cut at the slice, its isolate is already gone and the invocation
    // is being replayed from scratch: starting the call would do its work twice (a POST sent
    // twice). Nobody waits for its answer (a rejection would only be an unhandled one).
    if (this.#dead) return undefined;
    try {
      this.#admit();
      this.#inflight++;
      try {
        value = await f.apply(this.#callContext, args);
      } finally {
        this.#inflight--;
      }
    } catch (e) {
      failed = true;
      error = e instanceof Error ? new Error(e.message) : e;
    }
    // Settles no earlier than this (a refusal too): isolated-vm takes the promise over after we return.
    await this.#gate();
    if (failed) throw error;
    return value;
  }

  /** Resolve now if an invocation is running; otherwise when the next one starts (or never). */
  #gate(): Promise<void> {
    if (this.#busy) return Promise.resolve();
    return new Promise((resolve) => {
      if (!this.#dead) this.#frozen.push(resolve);
    });
  }

  #op(name: string, args: unknown[]): unknown {
    switch (name) {
      case 'log':
        this.#current?.log(String(args[0]) as FunctionLogLine['level'], String(args[1]));
        return undefined;
      case 'done':
        if (this.#current && this.#current.id === args[0]) this.#current.settle(reported(args[1], String(args[2])));
        return undefined;
      case 'load':
        return this.#loadBuiltin(String(args[0]));
      case 'cancel': {
        const s = this.#sleeps.get(Number(args[0]));
        if (s) {
          clearTimeout(s.timer);
          this.#sleeps.delete(Number(args[0]));
          s.resolve(false);
        }
        return undefined;
      }
      case 'crash':
        this.#crashRequested = true;
        return undefined;
      case 'oom':
        this.#oomRequested = true;
        this.#current?.log('error', `Runtime.OutOfMemory: ${String(args[0])}`);
        return undefined;
      case 'now':
        return performance.now();
      case 'clock':
        return this.#shared.clock.monotonic();
      case 'heap':
        try {
          const h = this.isolate.getHeapStatisticsSync();
          // Array buffers count too (isolated-vm's limit covers both).
          return h.used_heap_size + (args[0] === 'all' ? h.externally_allocated_size : 0);
        } catch {
          return 0;
        }
      case 'kvs': {
        const kvs = this.#shared.kvs;
        if (!kvs) return null;
        return args[0] === 'meta' ? kvs.meta() : kvs.get(String(args[2]));
      }
      default:
        throw new Error(`Unknown runtime operation '${name}'`);
    }
  }

  #opAsync(name: string, args: unknown[]): Promise<unknown> {
    if (name === 'tick') {
      // One drain check at a time is all the guest asks for (host.ts); more is a runtime bug.
      if (this.#ticks >= MAX_SLEEPS) return this.#refuse(hostCallLimit('too many host ticks'));
      this.#ticks++;
      return new Promise((resolve) =>
        setImmediate(() => {
          this.#ticks--;
          void this.#gate().then(() => resolve(true));
        }),
      );
    }
    try {
      this.#admit();
      if (name === 'sleep' && this.#sleeps.size >= MAX_SLEEPS) throw hostCallLimit('too many host timers');
    } catch (e) {
      return this.#refuse(e);
    }
    if (name === 'sleep') {
      const id = Number(args[0]);
      const ms = Number(args[1]);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.#sleeps.delete(id);
          void this.#gate().then(() => resolve(true));
        }, ms);
        this.#sleeps.set(id, { timer, resolve });
      });
    }
    return Promise.reject(new Error(`Unknown runtime operation '${name}'`));
  }

  /** A refused asynchronous operation, rejected once the guest can see it (as #callHostAsync does). */
  async #refuse(e: unknown): Promise<never> {
    await this.#gate();
    throw e;
  }

  #loadBuiltin(name: string): boolean {
    const src = this.#shared.builtins.sources.get(name);
    if (src === undefined) return false;
    const script = compile(
      this.isolate,
      `globalThis.${BUILTIN_SLOT} = (${src});`,
      `verge:builtin/${name}`,
      builtinCache,
      name,
    );
    script.runSync(this.#context);
    script.release();
    return true;
  }

  /**
   * Run one invocation; never throws or rejects. On the fast path (`sliceMs`) an invocation that
   * completes inside the synchronous crossings returns its outcome directly, with no promise, no
   * timer and no watchdog: the pipeline can stay on its synchronous path. Otherwise a promise,
   * settled by the first completion, the watchdog or the memory poll.
   */
  invoke(eventJson: string, meta: Record<string, unknown>, opts: InvokeOptions): Outcome | Promise<Outcome> {
    if (this.dead) return { kind: 'crash', message: 'the isolate was disposed' };
    this.invocations++;
    this.#calls = 0;
    this.#busy = true;
    const id = ++this.#seq;
    meta.id = id;
    meta.logStreamName = this.logStreamName;
    const metaJson = JSON.stringify(meta);
    if (this.#frozen.length > 0) for (const f of this.#frozen.splice(0)) f();
    const run: Running = { id, outcome: undefined, resolve: undefined, watchdog: undefined, oomPoll: undefined };
    this.#current = { id, settle: (o) => this.#settle(run, o), log: opts.log };
    const started = performance.now();
    if (opts.sliceMs !== undefined) {
      const slice = Math.max(1, Math.ceil(Math.min(opts.sliceMs, opts.timeoutMs)));
      try {
        this.#invoke.applySync(undefined, [eventJson, metaJson], { timeout: slice });
        if (this.#current?.id === id) this.#collect(run, this.#checkIdle.applySync(undefined, [], { timeout: slice }));
      } catch (e) {
        this.#fail(run, e, slice < opts.timeoutMs);
      }
      if (run.outcome) return run.outcome;
      return this.#pending(run, opts.timeoutMs - (performance.now() - started));
    }
    const promise = this.#pending(run, opts.timeoutMs);
    const remaining = () => Math.max(1, Math.ceil(opts.timeoutMs - (performance.now() - started)));
    // Off the main thread, one lane per spare core (cpu-lanes.ts); the watchdog above covers the wait.
    this.#shared.lanes
      .run(async () => {
        if (this.#current?.id !== id || this.dead) return;
        await this.#invoke.apply(undefined, [eventJson, metaJson], { timeout: remaining() });
        if (this.#current?.id === id)
          this.#collect(run, await this.#checkIdle.apply(undefined, [], { timeout: remaining() }));
      })
      .catch((e: unknown) => this.#fail(run, e, false));
    return promise;
  }

  /** The invocation goes on past the synchronous crossings: a promise, the watchdog and the memory poll. */
  #pending(run: Running, remainingMs: number): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      if (run.outcome) return resolve(run.outcome);
      run.resolve = resolve;
      run.watchdog = setTimeout(() => this.#settle(run, { kind: 'timeout' }), Math.max(1, Math.ceil(remainingMs)));
      // An isolate that hits its memory limit inside an async continuation is disposed by V8
      // with no call to reject: notice it here instead of waiting for the timeout.
      run.oomPoll = setInterval(() => {
        if (this.isolate.isDisposed && !this.#dead) this.#settle(run, { kind: 'oom' });
      }, 20);
    });
  }

  /** A report `checkIdle` returned (Lambda mode: kind prefix + payload; CloudFront Functions: none). */
  #collect(run: Running, r: unknown): void {
    if (typeof r !== 'string' || r.length === 0) return;
    const kind = r[0] === 'o' ? 'ok' : r[0] === 'i' ? 'invalid-json' : 'error';
    this.#settle(run, reported(kind, r.slice(1)));
  }

  /** The first completion of an invocation wins; anything later is ignored. */
  #settle(run: Running, o: Outcome): void {
    if (!this.#current || this.#current.id !== run.id) return;
    if (this.#oomRequested) o = { kind: 'oom' };
    this.#current = undefined;
    this.#busy = false;
    run.outcome = o;
    if (run.watchdog) clearTimeout(run.watchdog);
    if (run.oomPoll) clearInterval(run.oomPoll);
    run.resolve?.(o);
  }

  #fail(run: Running, e: unknown, slice: boolean): void {
    if (!this.#current || this.#current.id !== run.id) return;
    const msg = messageOf(e);
    if (TIMEOUT_RE.test(msg)) return this.#settle(run, slice ? { kind: 'slice' } : { kind: 'timeout' });
    if (MEMORY_RE.test(msg) || this.isolate.isDisposed) return this.#settle(run, { kind: 'oom' });
    this.#settle(run, { kind: 'crash', message: msg });
  }

  /** CPU time the isolate has used, in nanoseconds. */
  cpuTimeNs(): bigint {
    return this.isolate.isDisposed ? 0n : this.isolate.cpuTime;
  }

  dispose(): void {
    if (this.#dead) return;
    this.#dead = true;
    for (const s of this.#sleeps.values()) clearTimeout(s.timer);
    this.#sleeps.clear();
    this.#frozen = [];
    this.#current?.settle({ kind: 'crash', message: 'the isolate was disposed' });
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

/** Lambda's per-instance stream name pattern `YYYY/MM/DD/[<version>]<32 hex>` (spec 2.3). */
export function logStreamName(nowMs: number, version: string): string {
  const d = new Date(nowMs);
  const date = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${date}/[${version}]${randomBytes(16).toString('hex')}`;
}
