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
 * are dropped. A demoted function is given the fast path again after 100 invocations.
 */
import type { Clock } from '../../shared/clock.js';
import type { FunctionLogLine } from '../../shared/lambda-edge/index.js';
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

const RETRY_FAST_AFTER = 100;
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

  async #acquire(): Promise<{ inst: Instance; cold: boolean } | null> {
    while (this.#idle.length > 0) {
      const inst = this.#idle.pop()!;
      if (!inst.dead) return { inst, cold: false };
      this.#forget(inst);
    }
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

  /** Run one invocation on a free instance (creating one if allowed). */
  async run(eventJson: string, meta: Record<string, unknown>, timeoutMs: number): Promise<PoolRun> {
    const clock = this.#o.clock;
    const started = performance.now();
    let logs: PoolLogLine[] = [];
    const log = (level: FunctionLogLine['level'], message: string) => logs.push({ time: clock.now(), level, message });
    let coldStart = false;
    for (let attempt = 0; attempt < 2; attempt++) {
      let got: { inst: Instance; cold: boolean } | null;
      try {
        got = await this.#acquire();
      } catch (e) {
        return {
          outcome: { kind: 'init-error', message: e instanceof Error ? e.message : String(e) },
          coldStart: true,
          logs,
          cpuNs: 0n,
        };
      }
      if (!got) return { outcome: { kind: 'throttled' }, coldStart: false, logs, cpuNs: 0n };
      const { inst } = got;
      coldStart ||= got.cold;
      for (const l of inst.takeInitLog()) log(l.level, l.message);
      const remaining = Math.max(1, Math.floor(timeoutMs - (performance.now() - started)));
      const sliceMs = this.fastPath ? this.#o.syncSliceMs : undefined;
      // A function demoted once (perhaps only because the host was busy) gets the fast path back
      // after RETRY_FAST_AFTER invocations; a hostile one costs the host one slice per that many.
      if (!this.fastPath && ++this.#slowRuns >= RETRY_FAST_AFTER) {
        this.fastPath = true;
        this.#slowRuns = 0;
      }
      const cpu0 = inst.cpuTimeNs();
      const outcome = await inst.invoke(eventJson, meta, { timeoutMs: remaining, sliceMs, log });
      const cpu1 = inst.cpuTimeNs();
      this.#release(inst, outcome);
      if (outcome.kind === 'slice' && attempt === 0) {
        this.fastPath = false;
        logs = [];
        continue;
      }
      const final: Outcome = outcome.kind === 'slice' ? { kind: 'timeout' } : outcome;
      return { outcome: final, coldStart, logs, cpuNs: cpu1 > cpu0 ? cpu1 - cpu0 : 0n };
    }
    return { outcome: { kind: 'timeout' }, coldStart, logs, cpuNs: 0n };
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
