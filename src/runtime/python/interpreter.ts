/**
 * @module runtime/python/interpreter
 * One sandboxed Python interpreter process (see sandbox.ts) seen from the host: start it from the
 * memory snapshot, give it a function (`init`: package files over its command pipe, handler,
 * environment), run events on it one at a time, and kill it. A timeout cannot be interrupted from inside a
 * single-threaded interpreter, so the host SIGKILLs the process (the pool replaces it).
 * Out of memory shows as Python's MemoryError under the prlimit cap; without prlimit the host
 * watches the process's RSS and kills it past the cap.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { FunctionLogLine } from '../../shared/lambda-edge/index.js';
import type { Logger } from '../../shared/log.js';
import { MAX_HOST_CALLS, hostCallLimit } from '../host/host-work.js';
import { hostFetch, type FetchCall, type FetchLimits } from './host-fetch.js';
import { recordRestoreCheck, restoreMode, sandboxCaps, snapshotFile, spawnInterpreter } from './sandbox.js';

export type Outcome =
  | { kind: 'ok'; json: string }
  | { kind: 'error'; message: string }
  | { kind: 'timeout' }
  | { kind: 'oom' }
  | { kind: 'crash'; message: string };

export interface LogSink {
  (level: FunctionLogLine['level'], message: string, time: number): void;
}

interface ChildMessage {
  t: string;
  level?: string;
  message?: string;
  time?: number;
  body?: string;
  result?: string;
  /** `ready` after a `check` restore: whether a sparse restore would have been exact. */
  sparseExact?: boolean;
  /** `ready`: when each boot phase ended, in ms since the process started (guest/runner.mjs). */
  phases?: BootPhases;
}

/** When each boot phase of an interpreter process ended, in ms since the process started. */
export interface BootPhases {
  /** Node itself, up to the runner's first line. */
  node: number;
  /** loadPyodide: its JS glue, the WebAssembly module, the snapshot restore. */
  pyodide: number;
  /** The shim attached, the warm-up run, the JS routes closed: ready. */
  warmup: number;
}

const LEVELS = new Set(['log', 'info', 'warn', 'error', 'debug']);
/** Booting from the snapshot is ~150 ms on a quiet machine; a loaded host can be 20x slower. */
const BOOT_TIMEOUT_MS = 60_000;

/** What the context object needs from the host per event. */
export interface InvokeMeta {
  awsRequestId: string;
  invokedFunctionArn: string;
  logStreamName: string;
}

export interface StartOptions {
  dataMB: number;
  logger?: Logger;
}

export class Interpreter {
  readonly #child: ChildProcess;
  readonly #dataMB: number;
  #buf = '';
  #stderr = '';
  #dead = false;
  #exitWaiter: ((why: string) => void) | undefined;
  #waiter: ((m: ChildMessage) => void) | undefined;
  #log: LogSink = () => {};
  #fetchLimits: FetchLimits = { timeoutMs: 30_000, maxBytes: 6 * 1024 * 1024 };
  #deadlineAt = 0;
  /** Host calls (urlopen) made by the current invocation (host-work.ts). */
  #calls = 0;
  #phases: BootPhases | undefined;

  private constructor(child: ChildProcess, dataMB: number) {
    this.#child = child;
    this.#dataMB = dataMB;
    child.stdio[4]!.on('data', (d: Buffer) => this.#onData(String(d)));
    child.stderr!.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + String(d)).slice(-2000)));
    child.on('exit', (code, sig) => {
      this.#dead = true;
      const why = sig ? `signal ${sig}` : `exit code ${code}`;
      this.#exitWaiter?.(why);
    });
    child.on('error', () => (this.#dead = true));
    for (const s of [...child.stdio].slice(2)) s?.on('error', () => {});
    // Interpreters never keep the host alive: when it exits, fd 5 and the IPC channel close and
    // the runner exits too (guest/runner.mjs: end of file on fd 5, or 'disconnect' while booting).
    child.unref();
    child.channel?.unref();
    for (const s of [...child.stdio].slice(2)) (s as { unref?: () => void } | null)?.unref?.();
  }

  /** Spawn a new interpreter from the snapshot and wait until it is ready for `init`. */
  static async start(o: StartOptions): Promise<Interpreter> {
    const snapshot = await snapshotFile(o.logger);
    const restore = restoreMode(snapshot);
    const it = new Interpreter(
      spawnInterpreter({ snapshot, restore, dataMB: o.dataMB, ...(o.logger ? { logger: o.logger } : {}) }),
      o.dataMB,
    );
    const m = await it.#next(BOOT_TIMEOUT_MS);
    if (m.t !== 'ready') {
      it.kill();
      throw new Error(`the Python interpreter did not start: ${m.message ?? m.t}`);
    }
    if (restore === 'check' && typeof m.sparseExact === 'boolean') recordRestoreCheck(snapshot, m.sparseExact);
    it.#phases = m.phases;
    return it;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** The boot phases the process reported (benchmarks print them). */
  get bootPhases(): BootPhases | undefined {
    return this.#phases;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  kill(): void {
    this.#dead = true;
    this.#child.kill('SIGKILL');
  }

  #onData(s: string): void {
    this.#buf += s;
    let nl: number;
    while ((nl = this.#buf.indexOf('\n')) >= 0) {
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + 1);
      if (line.startsWith('R')) {
        const w = this.#waiter;
        this.#waiter = undefined;
        w?.({ t: 'result-json', result: line.slice(1) });
        continue;
      }
      let m: ChildMessage;
      try {
        m = JSON.parse(line) as ChildMessage;
      } catch {
        continue;
      }
      if (m.t === 'log') {
        const level = LEVELS.has(m.level!) ? (m.level as FunctionLogLine['level']) : 'log';
        this.#log(level, m.message ?? '', m.time ?? Date.now());
      } else if (m.t === 'call') this.#answer(m.body ?? '');
      else {
        const w = this.#waiter;
        this.#waiter = undefined;
        w?.(m);
      }
    }
  }

  /** A synchronous call from Python (urlopen): the interpreter blocks on fd 5 until we answer. */
  #answer(body: string): void {
    if (++this.#calls > MAX_HOST_CALLS)
      return this.#reply({
        error: hostCallLimit(`more than ${MAX_HOST_CALLS} host calls (urlopen) in one invocation`).message,
      });
    let call: FetchCall;
    try {
      call = JSON.parse(body) as FetchCall;
    } catch {
      return this.#reply({ error: 'bad host call' });
    }
    const remaining = Math.max(1, this.#deadlineAt - Date.now());
    const limits = { ...this.#fetchLimits, timeoutMs: Math.min(this.#fetchLimits.timeoutMs, remaining) };
    void hostFetch(call, limits, (level, message) => this.#log(level, message, Date.now())).then((a) => this.#reply(a));
  }

  #reply(answer: unknown): void {
    this.#write(JSON.stringify(answer) + '\n');
  }

  /** fd 5: the child reads it synchronously (guest/runner.mjs documents the framing). */
  #write(data: string | Uint8Array): void {
    if (this.#dead) return;
    (this.#child.stdio as unknown as NodeJS.WritableStream[])[5]!.write(data);
  }

  /** The next non-log message, or a synthetic `exit`/`timeout` one. */
  #next(timeoutMs: number): Promise<ChildMessage> {
    if (this.#dead) return Promise.resolve({ t: 'exit', message: this.#stderr.trim() || 'the process is gone' });
    return new Promise((resolve) => {
      let done = false;
      const finish = (m: ChildMessage) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (watch) clearInterval(watch);
        this.#waiter = undefined;
        this.#exitWaiter = undefined;
        resolve(m);
      };
      const timer = setTimeout(() => finish({ t: 'timeout' }), timeoutMs);
      const watch = sandboxCaps().prlimit ? undefined : setInterval(() => void this.#checkRss(finish), 50);
      this.#waiter = finish;
      this.#exitWaiter = (why) => finish({ t: 'exit', message: `${why}${this.#lastError()}` });
    });
  }

  /** The last short error line the process wrote (its stderr can hold minified engine code). */
  #lastError(): string {
    const line = this.#stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0 && l.length < 300 && /error/i.test(l))
      .pop();
    return line ? `: ${line}` : '';
  }

  /** Without prlimit: the RSS watch is the memory cap. */
  async #checkRss(finish: (m: ChildMessage) => void): Promise<void> {
    const status = await readFile(`/proc/${this.#child.pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    if (kb > this.#dataMB * 1024) finish({ t: 'oom' });
  }

  /** Load the function into this interpreter (Lambda's init phase). Returns an error text or null. */
  async init(
    p: { files: Record<string, Uint8Array>; handler: string; env: Record<string, string>; fetch: FetchLimits },
    timeoutMs: number,
    log: LogSink,
  ): Promise<string | null> {
    this.#fetchLimits = p.fetch;
    this.#log = log;
    this.#deadlineAt = Date.now() + timeoutMs;
    this.#calls = 0;
    const files = Object.entries(p.files);
    const head = { handler: p.handler, env: p.env, files: files.map(([name, data]) => [name, data.byteLength]) };
    this.#write(`N${JSON.stringify(head)}\n`);
    for (const [, data] of files) this.#write(data);
    const m = await this.#next(timeoutMs);
    this.#log = () => {};
    if (m.t === 'init-done') {
      const r = JSON.parse(m.result!) as { ok?: true; error?: string };
      return r.error ?? null;
    }
    this.kill();
    if (m.t === 'timeout') return `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds (init)`;
    if (m.t === 'oom') return 'Runtime exited: out of memory';
    return `Runtime exited: ${m.message ?? m.t}`;
  }

  /**
   * Run one event (`eventJson` as JSON.stringify writes it: one line). Anything but `ok`/`error`
   * leaves the interpreter dead (the pool replaces it).
   */
  async invoke(eventJson: string, meta: InvokeMeta, timeoutMs: number, log: LogSink): Promise<Outcome> {
    this.#log = log;
    this.#deadlineAt = Date.now() + timeoutMs;
    this.#calls = 0;
    // The event line goes to Python as it is (no decoding in the child's JS).
    const head = JSON.stringify([meta.awsRequestId, meta.invokedFunctionArn, meta.logStreamName, timeoutMs]);
    this.#write(`I${head}\n${eventJson}\n`);
    const m = await this.#next(timeoutMs);
    this.#log = () => {};
    if (m.t === 'result-json') return { kind: 'ok', json: m.result! };
    if (m.t === 'result') {
      const r = JSON.parse(m.result!) as { json?: string; error?: string; kind?: string };
      if (r.json !== undefined) return { kind: 'ok', json: r.json };
      if (r.kind === 'oom') {
        this.kill();
        return { kind: 'oom' };
      }
      return { kind: 'error', message: r.error ?? 'unknown error' };
    }
    this.kill();
    if (m.t === 'timeout') return { kind: 'timeout' };
    if (m.t === 'oom') return { kind: 'oom' };
    return { kind: 'crash', message: m.message ?? m.t };
  }
}
