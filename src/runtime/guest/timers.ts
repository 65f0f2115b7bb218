/**
 * @module runtime/guest/timers
 * INSIDE the isolate. Node-style timers kept in the guest: one queue ordered by due time, and at
 * most one host timer (a `sleep` op) for the earliest of them, so a function's pending timers
 * live in its own heap (counted against its memory limit) and cost the host nothing per timer:
 * 200,000 `setTimeout`s used to be 200,000 host timers, four seconds of the edge's event loop and
 * 330 MB. Past MAX_PENDING_TIMERS a new timer throws (FUNCTION_TIMER_LIMIT). Each timer is
 * counted as pending work so `callbackWaitsForEmptyEventLoop` can wait for it (spec 2.2 item 3).
 * Timers due at one host wake run one by one, each after the microtasks of the one before (as in
 * Node); a timer made during a wake waits for the next host macrotask, so a chain of setImmediate
 * yields to the host. Plus queueMicrotask and process.nextTick. An exception thrown by a callback
 * is an uncaught exception of the current invocation (spec 2.2 item 9).
 */
import { P, hold, op, release } from './host.js';

/** Pending timers one isolate may hold (docs/errors.md FUNCTION_TIMER_LIMIT). */
export const MAX_PENDING_TIMERS = 10_000;

type Fn = (...args: unknown[]) => unknown;
interface TimerRec {
  id: number;
  fn: Fn;
  args: unknown[];
  ms: number;
  repeat: boolean;
  held: boolean;
  /** Due time (Date.now ms) and creation order of the current arming; queue entries compare both. */
  due: number;
  seq: number;
}

const timers = new Map<number, TimerRec>();
let nextId = 1;
let nextSeq = 1;
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

// ---- The queue: a binary min-heap of armings by (due, seq); cleared ones are skipped lazily ----

interface Entry {
  rec: TimerRec;
  due: number;
  seq: number;
}
const heap: Entry[] = [];

function before(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

function push(e: Entry): void {
  let i = heap.length;
  heap[i] = e;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function pop(): Entry | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0 && last) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
  return top;
}

/** Whether a queue entry is still the current arming of a live timer. */
function current(e: Entry): boolean {
  return timers.get(e.rec.id) === e.rec && e.rec.due === e.due && e.rec.seq === e.seq;
}

/** The earliest live entry (stale ones on top are dropped). */
function peek(): Entry | undefined {
  while (heap.length > 0 && !current(heap[0]!)) pop();
  return heap[0];
}

/** Cleared timers stay in the queue until they surface: rebuild it when they are most of it. */
function compact(): void {
  if (heap.length < 64 || heap.length < 2 * timers.size) return;
  const live = heap.filter(current);
  heap.length = 0;
  for (const e of live) push(e);
}

// ---- The one host timer ----

let armedDue = Infinity;
let armedId = 0;
let sleepId = 0;

/** Make the host timer wake us for the earliest timer (replacing a later one). */
function arm(): void {
  const top = peek();
  if (!top || top.due >= armedDue) return;
  if (armedId) op('cancel', armedId);
  const id = ++sleepId;
  armedId = id;
  armedDue = top.due;
  P.apply(P.then, sleep(id, Math.max(0, top.due - P.dateNow())), [
    (fired: unknown) => {
      if (!fired || armedId !== id) return;
      armedId = 0;
      armedDue = Infinity;
      runDue(P.dateNow(), nextSeq);
    },
    // The host refused (FUNCTION_HOST_CALL_LIMIT): no timer can fire any more; the invocation fails.
    (err: unknown) => uncaught(err),
  ]);
}

let armQueued = false;

/** Re-arm once per turn of microtasks, however many timers the code just made (a timer flood). */
function requestArm(): void {
  if (armQueued) return;
  armQueued = true;
  P.apply(P.then, P.Promise.resolve(), [
    () => {
      armQueued = false;
      arm();
    },
  ]);
}

/**
 * Run the earliest timer due by `now` and made before this wake (`seqLimit`), then the next one
 * after its microtasks; when none is left, arm the host timer for the rest.
 */
function runDue(now: number, seqLimit: number): void {
  const top = peek();
  if (!top || top.due > now || top.seq >= seqLimit) return arm();
  pop();
  const rec = top.rec;
  if (!rec.repeat) timers.delete(rec.id);
  runCallback(rec.fn, rec.args);
  if (rec.repeat && timers.get(rec.id) === rec) schedule(rec);
  if (!rec.repeat && rec.held) release();
  P.apply(P.then, P.Promise.resolve(), [() => runDue(now, seqLimit)]);
}

function schedule(rec: TimerRec): void {
  rec.due = P.dateNow() + rec.ms;
  rec.seq = nextSeq++;
  push({ rec, due: rec.due, seq: rec.seq });
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
    const rec = timers.get(this.#id);
    if (rec) {
      schedule(rec);
      requestArm();
    }
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.#id;
  }
}

function start(fn: unknown, ms: number, args: unknown[], repeat: boolean): Timeout {
  if (typeof fn !== 'function') {
    const err = new TypeError(`The "callback" argument must be of type function. Received ${typeof fn}`);
    (err as { code?: string }).code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  if (timers.size >= MAX_PENDING_TIMERS) {
    const err = new RangeError(
      `FUNCTION_TIMER_LIMIT: this function already has ${MAX_PENDING_TIMERS} pending timers; clear some before setting more`,
    );
    (err as { code?: string }).code = 'FUNCTION_TIMER_LIMIT';
    throw err;
  }
  const rec: TimerRec = { id: nextId++, fn: fn as Fn, args, ms, repeat, held: true, due: 0, seq: 0 };
  timers.set(rec.id, rec);
  hold();
  schedule(rec);
  requestArm();
  return new Timeout(rec.id);
}

function clear(t: unknown): void {
  if (t === null || t === undefined) return;
  const id =
    typeof t === 'object' ? Number((t as { [Symbol.toPrimitive]?: () => number })[Symbol.toPrimitive]?.()) : Number(t);
  const rec = timers.get(id);
  if (!rec) return;
  timers.delete(id);
  compact();
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
