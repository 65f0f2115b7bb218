/**
 * @module runtime/guest/host
 * INSIDE the isolate. Holds the host handles given to `init` (never stored on a global, so
 * user code cannot reach `Reference.apply` with options of its own; deps.md section 1), the
 * pending-work counter the event-loop emulation is built on, and the primordials the runtime
 * uses, captured before user code can tamper with prototypes.
 */

/** An isolated-vm Reference to an async host function, as seen from inside the isolate. */
export interface HostReference {
  apply(recv: undefined, args: unknown[], opts: object): Promise<unknown>;
}

export interface HostHandles {
  /** Builtin host functions (createHostFunctions), synchronous. */
  call: (name: string, ...args: unknown[]) => unknown;
  /** Builtin host functions returning a Promise. */
  callAsync: HostReference;
  /** Runtime-internal synchronous operations: log, load, done, cancel, kvs. */
  op: (name: string, ...args: unknown[]) => unknown;
  /** Runtime-internal asynchronous operations: sleep, tick. */
  opAsync: HostReference;
}

const startsWith = String.prototype.startsWith;

export const P = {
  stringify: JSON.stringify,
  parse: JSON.parse,
  Promise,
  then: Promise.prototype.then as (
    this: Promise<unknown>,
    a?: (v: unknown) => unknown,
    b?: (e: unknown) => unknown,
  ) => Promise<unknown>,
  apply: Reflect.apply,
  defineProperty: Object.defineProperty,
  freeze: Object.freeze,
  keys: Object.keys,
  String,
  dateNow: Date.now,
  isArray: Array.isArray,
  stringStartsWith: (s: string, prefix: string) => Reflect.apply(startsWith, s, [prefix]) as boolean,
};

let handles: HostHandles | undefined;

export function setHandles(h: HostHandles): void {
  handles = h;
}

function h(): HostHandles {
  if (!handles) throw new Error('runtime not initialized');
  return handles;
}

const ASYNC_OPTS = { arguments: { copy: true }, result: { promise: true, copy: true } };

export function op(name: string, ...args: unknown[]): unknown {
  return h().op(name, ...args);
}

/** Pending macrotask-like work (timers, immediates, host calls): the "event loop" is empty at 0. */
let pending = 0;
let drainScheduled = false;
let onIdle: () => void = () => {};

export function pendingCount(): number {
  return pending;
}

export function setIdleListener(fn: () => void): void {
  onIdle = fn;
}

export function hold(): void {
  pending++;
}

/**
 * Release one unit of pending work. At zero, check again from a host macrotask, i.e. after the
 * microtasks queued by the work just finished have run: only then is the loop really empty.
 */
export function release(): void {
  pending--;
  if (pending === 0) scheduleDrainCheck();
}

export function scheduleDrainCheck(): void {
  if (drainScheduled) return;
  drainScheduled = true;
  P.apply(P.then, h().opAsync.apply(undefined, ['tick'], ASYNC_OPTS), [
    () => {
      drainScheduled = false;
      if (pending === 0) onIdle();
    },
  ]);
}

/** An async host call counted as pending work of the current invocation. */
export function callAsyncCounted(ref: 'callAsync' | 'opAsync', args: unknown[]): Promise<unknown> {
  hold();
  const p = h()[ref].apply(undefined, args, ASYNC_OPTS);
  return P.apply(P.then, p, [
    (v: unknown) => {
      release();
      return v;
    },
    (e: unknown) => {
      release();
      // The host's caps (docs/errors.md FUNCTION_HOST_CALL_LIMIT) keep their code across the bridge.
      if (e instanceof Error && P.stringStartsWith(e.message, 'FUNCTION_HOST_CALL_LIMIT'))
        (e as { code?: string }).code = 'FUNCTION_HOST_CALL_LIMIT';
      throw e;
    },
  ]) as Promise<unknown>;
}

/** The object handed to each builtin factory (`(bridge, require) => exports`). */
export const bridge = P.freeze({
  call(name: string, ...args: unknown[]): unknown {
    return h().call(name, ...args);
  },
  callAsync(name: string, ...args: unknown[]): Promise<unknown> {
    return callAsyncCounted('callAsync', [name, ...args]);
  },
});
