/**
 * @module runtime/host/isolate-pool
 * The isolates of one loaded function: pre-warmed with one instance on load, grown on demand
 * up to the concurrency limit (past it the caller throttles, spec 5.1), one invocation per
 * isolate at a time, warm instances reused (module globals persist, as in Lambda), broken ones
 * (timeout, out of memory, crash, uncaught exception) disposed and replaced on demand.
 *
 * The fast path (applySync with a CPU slice) is optimistic: when a function's synchronous part
 * outgrows the slice, the invocation is replayed from scratch on a fresh isolate through the
 * async path and the function stays on that path. Nothing escapes the first attempt: the host
 * was blocked for its whole duration, so none of its host calls have run, and its log lines
 * are dropped. The slice is wall time, so only a first attempt that used at least half of it
 * in CPU demotes the function (a thread descheduled on a busy machine does not); a demoted
 * function is given the fast path again after 100 invocations.
 */
import type { Clock } from '../../shared/clock.js';
import type { FunctionLogLine } from '../../shared/lambda-edge/index.js';
import { cappedLog } from './log-cap.js';
import { Instance, logStreamName, type InstanceShared, type Outcome } from './instance.js';

export interface PoolOptions {
  shared: InstanceShared;
  concurrency: number;
  version: string;
  clock: Clock;
  syncSliceMs: number;
}

export interface PoolLogLine {
  time: number;
  level: FunctionLogLine['level'];
  message: string;
}

export type PoolOutcome = Outcome | { kind: 'throttled' } | { kind: 'init-error'; message: string };

export interface PoolRun {
  outcome: PoolOutcome;
  coldStart: boolean;
  logs: PoolLogLine[];
  /** CPU time of the invocation in the isolate (ns); 0 when unknown. */
  cpuNs: bigint;
}

/** One call of `run`, carried across its (at most two) attempts. */
interface Call {
  eventJson: string;
  meta: Record<string, unknown>;
  timeoutMs: number;
  started: number;
  logs: PoolLogLine[];
  coldStart: boolean;
  log: (level: FunctionLogLine['level'], message: string) => void;
  /** A fresh, empty log (and log cap) for a replay. */
  restartLog: () => void;
}

const RETRY_FAST_AFTER = 100;
export { MAX_LOG_BYTES } from './log-cap.js';
const BROKEN = new Set<Outcome['kind']>(['timeout', 'oom', 'crash', 'slice']);

export class IsolatePool {
  readonly #o: PoolOptions;
  #idle: Instance[] = [];
  #all = new Set<Instance>();
  #size = 0;
  #closed = false;
  /** False once the function has outgrown the synchronous slice; tried again after a while. */
  fastPath = true;
  #slowRuns = 0;

  constructor(opts: PoolOptions) {
    this.#o = opts;
  }

  get size(): number {
    return this.#size;
  }

  /** Create one instance ahead of traffic; a failing module init fails the load. */
  async warm(): Promise<void> {
    const got = await this.#acquire();
    if (got) this.#release(got.inst, { kind: 'ok', json: '' });
  }

  /** A warm idle instance, most recently used first (its caches are the warmest); dead ones are dropped. */
  #takeIdle(): Instance | undefined {
    while (this.#idle.length > 0) {
      const inst = this.#idle.pop()!;
      if (!inst.dead) return inst;
      this.#forget(inst);
    }
    return undefined;
  }

  async #acquire(): Promise<{ inst: Instance; cold: boolean } | null> {
    const idle = this.#takeIdle();
    if (idle) return { inst: idle, cold: false };
    if (this.#size >= this.#o.concurrency) return null;
    this.#size++;
    try {
      const inst = await Instance.create(this.#o.shared, logStreamName(this.#o.clock.now(), this.#o.version));
      this.#all.add(inst);
      return { inst, cold: true };
    } catch (e) {
      this.#size--;
      throw e;
    }
  }

  #forget(inst: Instance): void {
    if (this.#all.delete(inst)) this.#size--;
    inst.dispose();
  }

  #release(inst: Instance, outcome: Outcome): void {
    if (this.#closed || BROKEN.has(outcome.kind) || inst.dead || inst.crashRequested) return this.#forget(inst);
    this.#idle.push(inst);
  }

  /**
   * Run one invocation on a free instance. A warm idle instance is always preferred to a new one
   * (as Lambda reuses a warm execution environment): taken and, when the function completes
   * inside the synchronous crossing, released again before this returns, so the result comes
   * back without a promise and concurrent requests keep reusing the same warm isolate. Only
   * when none is idle is one created (up to the concurrency limit; past it, throttled).
   */
  run(eventJson: string, meta: Record<string, unknown>, timeoutMs: number): PoolRun | Promise<PoolRun> {
    const clock = this.#o.clock;
    const call: Call = {
      eventJson,
      meta,
      timeoutMs,
      started: performance.now(),
      logs: [],
      coldStart: false,
      log: () => {},
      restartLog: () => {},
    };
    call.restartLog = () => {
      call.logs = [];
      call.log = cappedLog((level, message) => call.logs.push({ time: clock.now(), level, message }));
    };
    call.restartLog();
    const idle = this.#takeIdle();
    if (idle) return this.#attempt(call, idle, false, 0);
    return this.#acquireAndAttempt(call, 0);
  }

  async #acquireAndAttempt(call: Call, attempt: number): Promise<PoolRun> {
    let got: { inst: Instance; cold: boolean } | null;
    try {
      got = await this.#acquire();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return { outcome: { kind: 'init-error', message }, coldStart: true, logs: call.logs, cpuNs: 0n };
    }
    if (!got) return { outcome: { kind: 'throttled' }, coldStart: false, logs: call.logs, cpuNs: 0n };
    return this.#attempt(call, got.inst, got.cold, attempt);
  }

  #attempt(call: Call, inst: Instance, cold: boolean, attempt: number): PoolRun | Promise<PoolRun> {
    call.coldStart ||= cold;
    for (const l of inst.takeInitLog()) call.log(l.level, l.message);
    const remaining = Math.max(1, Math.floor(call.timeoutMs - (performance.now() - call.started)));
    // A replay always takes the async path: its first attempt already outgrew the slice.
    const sliceMs = this.fastPath && attempt === 0 ? this.#o.syncSliceMs : undefined;
    // A function demoted once (perhaps only because the host was busy) gets the fast path back
    // after RETRY_FAST_AFTER invocations; a hostile one costs the host one slice per that many.
    if (!this.fastPath && ++this.#slowRuns >= RETRY_FAST_AFTER) {
      this.fastPath = true;
      this.#slowRuns = 0;
    }
    const cpu0 = inst.cpuTimeNs();
    const outcome = inst.invoke(call.eventJson, call.meta, { timeoutMs: remaining, sliceMs, log: call.log });
    if (outcome instanceof Promise) return outcome.then((o) => this.#finish(call, inst, attempt, o, cpu0));
    return this.#finish(call, inst, attempt, outcome, cpu0);
  }

  #finish(call: Call, inst: Instance, attempt: number, outcome: Outcome, cpu0: bigint): PoolRun | Promise<PoolRun> {
    const cpu1 = inst.cpuTimeNs();
    const cpuNs = cpu1 > cpu0 ? cpu1 - cpu0 : 0n;
    this.#release(inst, outcome);
    if (outcome.kind === 'slice' && attempt === 0) {
      // The slice is wall time: on a busy machine the thread can be descheduled past it while
      // the function itself used little CPU. Only a function that really used the CPU is
      // demoted; either way this invocation is replayed (from scratch) on the async path.
      if (cpuNs * 2n >= BigInt(this.#o.syncSliceMs) * 1_000_000n) this.fastPath = false;
      // The first attempt's lines are dropped, and its share of the log cap with them.
      call.restartLog();
      return this.#acquireAndAttempt(call, 1);
    }
    const final: Outcome = outcome.kind === 'slice' ? { kind: 'timeout' } : outcome;
    return { outcome: final, coldStart: call.coldStart, logs: call.logs, cpuNs };
  }

  /**
   * Stop the pool. Idle instances go at once; busy ones finish their invocation first (an
   * unload during a plan swap must not fail requests in flight) unless `force` is set.
   */
  close(force = false): void {
    this.#closed = true;
    for (const inst of this.#idle) this.#forget(inst);
    this.#idle = [];
    if (force) for (const inst of [...this.#all]) this.#forget(inst);
  }
}
