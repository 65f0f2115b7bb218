/**
 * @module cli/supervisor
 * Runs `verge` child processes for `verge up` (one per edge PoP) and keeps them running: their
 * output goes to `<logDir>/<name>.log` in full and, prefixed with the name, to the terminal
 * (stdout lines, and stderr lines at warn level and above); a child that exits on its own is
 * restarted with exponential backoff and says so; `stopAll()` sends SIGTERM, waits, then
 * SIGKILLs whatever is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** bin/verge.js of this checkout. */
export const VERGE_BIN = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));

/** Children run what this process runs: src/ through tsx when this file is the TypeScript source. */
const FROM_SOURCE: Record<string, string> = import.meta.url.endsWith('.ts') ? { VERGE_FROM_SOURCE: '1' } : {};

export interface ChildSpec {
  name: string;
  /** Arguments after `verge`. */
  args: string[];
  env?: Record<string, string>;
}

export interface SupervisorOptions {
  logDir: string;
  /** Where human-facing lines go (default stdout). */
  print?: (line: string) => void;
  backoffMs?: { initial: number; max: number };
  /** A child that ran at least this long restarts with the initial delay again. */
  healthyAfterMs?: number;
  /** SIGTERM → SIGKILL grace period. */
  stopGraceMs?: number;
}

interface Supervised {
  spec: ChildSpec;
  proc: ChildProcess | null;
  log: WriteStream;
  delay: number;
  startedAt: number;
  restarts: number;
  timer: NodeJS.Timeout | null;
}

export class Supervisor {
  readonly #o: Required<SupervisorOptions>;
  readonly #children = new Map<string, Supervised>();
  #stopping = false;

  constructor(opts: SupervisorOptions) {
    this.#o = {
      print: (line) => process.stdout.write(line + '\n'),
      backoffMs: { initial: 500, max: 15_000 },
      healthyAfterMs: 30_000,
      stopGraceMs: 5000,
      ...opts,
    };
    mkdirSync(opts.logDir, { recursive: true });
  }

  start(spec: ChildSpec): void {
    const log = createWriteStream(join(this.#o.logDir, `${spec.name}.log`), { flags: 'a' });
    const s: Supervised = {
      spec,
      proc: null,
      log,
      delay: this.#o.backoffMs.initial,
      startedAt: 0,
      restarts: 0,
      timer: null,
    };
    this.#children.set(spec.name, s);
    this.#spawn(s);
  }

  /** Process ids by child name (null while a child is waiting to restart). */
  pids(): Record<string, number | null> {
    return Object.fromEntries([...this.#children].map(([n, s]) => [n, s.proc?.pid ?? null]));
  }

  restarts(name: string): number {
    return this.#children.get(name)?.restarts ?? 0;
  }

  #spawn(s: Supervised): void {
    s.timer = null;
    s.startedAt = Date.now();
    const proc = spawn(process.execPath, ['--no-node-snapshot', VERGE_BIN, ...s.spec.args], {
      env: { ...process.env, ...FROM_SOURCE, ...s.spec.env, VERGE_SUPERVISED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    s.proc = proc;
    const prefix = `[${s.spec.name}] `;
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      s.log.write(line + '\n');
      this.#o.print(prefix + line);
    });
    createInterface({ input: proc.stderr! }).on('line', (line) => {
      s.log.write(line + '\n');
      if (worthShowing(line)) this.#o.print(prefix + line);
    });
    proc.on('error', (e) => this.#o.print(`${prefix}could not start: ${e.message}`));
    proc.on('exit', (code, signal) => {
      if (s.proc === proc) s.proc = null;
      if (this.#stopping) return;
      if (Date.now() - s.startedAt >= this.#o.healthyAfterMs) s.delay = this.#o.backoffMs.initial;
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.#o.print(`${prefix}${how}; restarting in ${(s.delay / 1000).toFixed(1)} s`);
      s.restarts++;
      s.timer = setTimeout(() => this.#spawn(s), s.delay);
      s.delay = Math.min(s.delay * 2, this.#o.backoffMs.max);
    });
  }

  /** SIGTERM every child, wait up to the grace period, then SIGKILL the rest. */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    const waits: Array<Promise<void>> = [];
    for (const s of this.#children.values()) {
      if (s.timer) clearTimeout(s.timer);
      const proc = s.proc;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) continue;
      waits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => {
            this.#o.print(`[${s.spec.name}] did not stop in ${this.#o.stopGraceMs} ms; killing it`);
            proc.kill('SIGKILL');
          }, this.#o.stopGraceMs);
          proc.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          proc.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(waits);
    await Promise.all([...this.#children.values()].map((s) => new Promise<void>((r) => s.log.end(() => r()))));
  }
}

/** Children log JSON lines on stderr: show warnings and errors, and anything that is not JSON. */
function worthShowing(line: string): boolean {
  if (!line.startsWith('{')) return line.trim() !== '';
  try {
    const level = (JSON.parse(line) as { level?: string }).level;
    return level === 'warn' || level === 'error';
  } catch {
    return true;
  }
}
