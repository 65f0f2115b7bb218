/**
 * @module runtime/python/pool
 * The interpreters of one loaded Python function version: one warmed on load, more started on
 * demand up to the concurrency limit (past it the caller throttles: LambdaLimitExceeded, spec
 * 5.1), one event per interpreter at a time, warm ones reused (module globals persist, as in
 * Lambda), broken ones (timeout, out of memory, crash) killed and replaced on demand.
 * New interpreters come from the process-wide spares (spares.ts), so a cold start costs only the
 * function's own init.
 */
import { cappedLog } from '../host/log-cap.js';
import type { Clock } from '../../shared/clock.js';
import type { FunctionLogLine } from '../../shared/lambda-edge/index.js';
import type { Logger } from '../../shared/log.js';
import { logStreamName } from '../host/instance.js';
import type { FetchLimits } from './host-fetch.js';
import type { Interpreter, InvokeMeta, LogSink, Outcome } from './interpreter.js';
import { takeInterpreter } from './spares.js';

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
    const sink: LogSink = cappedLog((level, message, time: number) => logs.push({ level, message, time }));
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
