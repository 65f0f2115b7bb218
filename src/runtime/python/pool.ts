/**
 * @module runtime/python/pool
 * The interpreters of one loaded Python function version: one warmed on load, more started on
 * demand up to the concurrency limit (past it the caller throttles: LambdaLimitExceeded, spec
 * 5.1), one event per interpreter at a time, warm ones reused (module globals persist, as in
 * Lambda), broken ones (timeout, out of memory, crash) killed and replaced on demand.
 * New interpreters come from a process-wide spare kept booted from the memory snapshot, so a cold
 * start costs only the function's own init.
 */
import type { Clock } from '../../shared/clock.js';
import type { FunctionLogLine } from '../../shared/lambda-edge/index.js';
import type { Logger } from '../../shared/log.js';
import { logStreamName } from '../host/instance.js';
import type { FetchLimits } from './host-fetch.js';
import { Interpreter, type InvokeMeta, type LogSink, type Outcome } from './interpreter.js';

export interface PoolLogLine {
  time: number;
  level: FunctionLogLine['level'];
  message: string;
}

export type PoolOutcome = Outcome | { kind: 'throttled' } | { kind: 'init-error'; message: string };

export interface PythonPoolOptions {
  files: Record<string, Uint8Array>;
  handler: string;
  env: Record<string, string>;
  version: string;
  concurrency: number;
  dataMB: number;
  initTimeoutMs: number;
  fetch: FetchLimits;
  clock: Clock;
  logger: Logger;
}

interface Member {
  it: Interpreter;
  logStreamName: string;
  initLogs: PoolLogLine[];
}

// One booted, function-less interpreter kept ready per data cap while any runtime is open.
const spares = new Map<number, Promise<Interpreter>>();
let retained = 0;

function startSpare(dataMB: number, logger: Logger): void {
  const p = Interpreter.start({ dataMB, logger });
  p.catch(() => spares.delete(dataMB));
  spares.set(dataMB, p);
}

/**
 * The replacement spare boots a moment later: booting compiles Pyodide's WebAssembly and would
 * otherwise compete for the CPU with the cold start that just took the spare.
 */
const SPARE_DELAY_MS = 1_000;

async function takeInterpreter(dataMB: number, logger: Logger): Promise<Interpreter> {
  const spare = spares.get(dataMB);
  spares.delete(dataMB);
  if (retained > 0) {
    setTimeout(() => {
      if (retained > 0 && !spares.has(dataMB)) startSpare(dataMB, logger);
    }, SPARE_DELAY_MS).unref();
  }
  if (spare) {
    const it = await spare.catch(() => undefined);
    if (it && !it.dead) return it;
  }
  return Interpreter.start({ dataMB, logger });
}

let lingering: NodeJS.Timeout | undefined;
/** A runtime closed and another opened soon after (tests, `verge dev` reloads) reuse the spare. */
const SPARE_LINGER_MS = 5_000;

/** Resolves once the spare for `dataMB` is booted (benchmarks wait on it; never rejects). */
export async function spareReady(dataMB: number): Promise<void> {
  await spares.get(dataMB)?.catch(() => undefined);
}

export function retainSpares(): void {
  retained++;
  clearTimeout(lingering);
}

export function releaseSpares(): void {
  retained = Math.max(0, retained - 1);
  if (retained > 0) return;
  clearTimeout(lingering);
  lingering = setTimeout(() => {
    for (const p of spares.values())
      void p.then(
        (it) => it.kill(),
        () => {},
      );
    spares.clear();
  }, SPARE_LINGER_MS);
  lingering.unref();
}

export class PythonPool {
  readonly #o: PythonPoolOptions;
  #idle: Member[] = [];
  #all = new Set<Member>();
  #starting = 0;
  #closed = false;

  constructor(o: PythonPoolOptions) {
    this.#o = o;
  }

  get size(): number {
    return this.#all.size + this.#starting;
  }

  /** Start and init one interpreter ahead of traffic; a failing init fails the load. */
  async warm(): Promise<void> {
    const m = await this.#create();
    this.#release(m, { kind: 'ok', json: '' });
  }

  async #create(): Promise<Member> {
    this.#starting++;
    try {
      const it = await takeInterpreter(this.#o.dataMB, this.#o.logger);
      const initLogs: PoolLogLine[] = [];
      const log: LogSink = (level, message, time) => initLogs.push({ level, message, time });
      const p = this.#o;
      const err = await it.init(
        { files: p.files, handler: p.handler, env: p.env, fetch: p.fetch },
        p.initTimeoutMs,
        log,
      );
      if (err !== null) {
        it.kill();
        throw new Error(err);
      }
      const m = { it, logStreamName: logStreamName(p.clock.now(), p.version), initLogs };
      if (this.#closed) it.kill();
      else this.#all.add(m);
      return m;
    } finally {
      this.#starting--;
    }
  }

  #release(m: Member, outcome: Outcome): void {
    if (this.#closed || m.it.dead || (outcome.kind !== 'ok' && outcome.kind !== 'error')) {
      this.#all.delete(m);
      m.it.kill();
      return;
    }
    this.#idle.push(m);
  }

  /** Run one event on a free interpreter (starting one if the limit allows). */
  async run(
    eventJson: string,
    meta: Omit<InvokeMeta, 'logStreamName'>,
    timeoutMs: number,
  ): Promise<{ outcome: PoolOutcome; coldStart: boolean; logs: PoolLogLine[] }> {
    const logs: PoolLogLine[] = [];
    let m: Member | undefined;
    while (this.#idle.length > 0 && !m) {
      const c = this.#idle.pop()!;
      if (!c.it.dead) m = c;
      else this.#all.delete(c);
    }
    let coldStart = false;
    if (!m) {
      if (this.size >= this.#o.concurrency) return { outcome: { kind: 'throttled' }, coldStart: false, logs };
      try {
        m = await this.#create();
      } catch (e) {
        return { outcome: { kind: 'init-error', message: (e as Error).message }, coldStart: true, logs };
      }
      coldStart = true;
    }
    logs.push(...m.initLogs.splice(0));
    const sink: LogSink = (level, message, time) => logs.push({ level, message, time });
    const outcome = await m.it.invoke(eventJson, { ...meta, logStreamName: m.logStreamName }, timeoutMs, sink);
    this.#release(m, outcome);
    return { outcome, coldStart, logs };
  }

  /** Idle interpreters go at once; busy ones finish their event unless `force`. */
  close(force = false): void {
    this.#closed = true;
    for (const m of this.#idle) {
      this.#all.delete(m);
      m.it.kill();
    }
    this.#idle = [];
    if (force) for (const m of this.#all) m.it.kill();
  }
}
