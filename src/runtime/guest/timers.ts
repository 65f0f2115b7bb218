/**
 * @module runtime/guest/timers
 * INSIDE the isolate. Node-style timers backed by host timers (`sleep` ops), each counted as
 * pending work so `callbackWaitsForEmptyEventLoop` can wait for them (spec 2.2 item 3), plus
 * setImmediate, queueMicrotask and process.nextTick. An exception thrown by a callback is an
 * uncaught exception of the current invocation (spec 2.2 item 9).
 */
import { P, hold, op, release } from './host.js';

type Fn = (...args: unknown[]) => unknown;
interface TimerRec {
  id: number;
  fn: Fn;
  args: unknown[];
  ms: number;
  repeat: boolean;
  held: boolean;
}

const timers = new Map<number, TimerRec>();
let nextId = 1;
let uncaught: (err: unknown) => void = () => {};
let sleep: (id: number, ms: number) => Promise<unknown> = () => P.Promise.resolve(false);

export function setUncaughtHandler(fn: (err: unknown) => void): void {
  uncaught = fn;
}

/** The host-side sleep: resolves `true` after `ms`, or `false` when cancelled. */
export function setSleep(fn: (id: number, ms: number) => Promise<unknown>): void {
  sleep = fn;
}

function runCallback(fn: Fn, args: unknown[]): void {
  try {
    P.apply(fn, undefined, args);
  } catch (err) {
    uncaught(err);
  }
}

/** Node's rule: a delay that is not a number in 1..2^31-1 becomes 1. */
function delay(ms: unknown): number {
  const n = Number(ms);
  return n >= 1 && n <= 2147483647 ? Math.floor(n) : 1;
}

class Timeout {
  readonly #id: number;
  constructor(id: number) {
    this.#id = id;
  }
  ref(): this {
    const rec = timers.get(this.#id);
    if (rec && !rec.held) {
      rec.held = true;
      hold();
    }
    return this;
  }
  unref(): this {
    const rec = timers.get(this.#id);
    if (rec?.held) {
      rec.held = false;
      release();
    }
    return this;
  }
  hasRef(): boolean {
    return timers.get(this.#id)?.held ?? false;
  }
  refresh(): this {
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.#id;
  }
}

function arm(rec: TimerRec): void {
  P.apply(P.then, sleep(rec.id, rec.ms), [
    (fired: unknown) => {
      if (!fired || timers.get(rec.id) !== rec) return;
      if (!rec.repeat) timers.delete(rec.id);
      runCallback(rec.fn, rec.args);
      if (rec.repeat && timers.get(rec.id) === rec) return arm(rec);
      if (!rec.repeat && rec.held) release();
    },
  ]);
}

function start(fn: unknown, ms: number, args: unknown[], repeat: boolean): Timeout {
  if (typeof fn !== 'function') {
    const err = new TypeError(`The "callback" argument must be of type function. Received ${typeof fn}`);
    (err as { code?: string }).code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  const rec: TimerRec = { id: nextId++, fn: fn as Fn, args, ms, repeat, held: true };
  timers.set(rec.id, rec);
  hold();
  arm(rec);
  return new Timeout(rec.id);
}

function clear(t: unknown): void {
  if (t === null || t === undefined) return;
  const id =
    typeof t === 'object' ? Number((t as { [Symbol.toPrimitive]?: () => number })[Symbol.toPrimitive]?.()) : Number(t);
  const rec = timers.get(id);
  if (!rec) return;
  timers.delete(id);
  op('cancel', id);
  if (rec.held) release();
}

export function setTimeout(fn: unknown, ms?: unknown, ...args: unknown[]): Timeout {
  return start(fn, delay(ms), args, false);
}
export function setInterval(fn: unknown, ms?: unknown, ...args: unknown[]): Timeout {
  return start(fn, delay(ms), args, true);
}
export const clearTimeout = clear;
export const clearInterval = clear;

/** setImmediate: a timer of 0 ms (it runs after pending microtasks, from a host macrotask). */
export function setImmediate(fn: unknown, ...args: unknown[]): Timeout {
  return start(fn, 0, args, false);
}
export const clearImmediate = clear;

export function queueMicrotask(fn: unknown): void {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  P.apply(P.then, P.Promise.resolve(), [() => runCallback(fn as Fn, [])]);
}

export function nextTick(fn: unknown, ...args: unknown[]): void {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  P.apply(P.then, P.Promise.resolve(), [() => runCallback(fn as Fn, args)]);
}
