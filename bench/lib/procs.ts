/**
 * @module bench/lib/procs
 * Child processes for benchmarks and peer measurements: every child started here is recorded
 * and killed when the script exits (normally, on an exception, or on Ctrl-C / SIGTERM), so a
 * benchmark never leaves an nginx, varnishd or edge behind. Also: free loopback ports, waiting
 * for a server to answer, and finding system binaries.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:http';

export interface Child {
  name: string;
  proc: ChildProcess;
  /** Everything the child wrote to stdout and stderr (capped), for error messages. */
  output(): string;
  /** Resolves when the child has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const children = new Set<Child>();
const cleanups = new Set<() => void>();
let hooksInstalled = false;
let stopping = false;

/** True once Ctrl-C / SIGTERM began stopping everything: errors from then on are expected. */
export function isStopping(): boolean {
  return stopping;
}

/** Run `fn` (e.g. remove a temp folder) in `stopAll()`; returns a function that runs it now instead. */
export function onCleanup(fn: () => void): () => void {
  cleanups.add(fn);
  return () => {
    if (cleanups.delete(fn)) fn();
  };
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const c of children) c.proc.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      stopping = true;
      void stopAll().finally(() => process.exit(130));
    });
  }
}

/** Start a child process that is killed when this process exits. */
export function startChild(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Child {
  installExitHooks();
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-8000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    proc.on('exit', (code) => resolve(code));
    proc.on('error', (err) => {
      out += `\nspawn error: ${err.message}`;
      resolve(null);
    });
  });
  const child: Child = {
    name,
    proc,
    output: () => out,
    exited,
    async stop() {
      children.delete(child);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    fn();
  }
}

/** A port that was free on 127.0.0.1 a moment ago (for servers that cannot report port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface HttpProbe {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One GET on loopback with a Host header; rejects on connection errors or after `timeoutMs`. */
export function httpGet(port: number, path: string, host = 'localhost', timeoutMs = 2000): Promise<HttpProbe> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Poll until the server answers any HTTP status, or fail with the child's output. */
export async function waitForHttp(
  child: Child | null,
  port: number,
  host = 'localhost',
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (let i = 0; i < 600 && Date.now() < deadline; i++) {
    if (child && child.proc.exitCode !== null) {
      throw new Error(`${child.name} exited with code ${child.proc.exitCode}:\n${child.output()}`);
    }
    try {
      await httpGet(port, '/', host, 1000);
      return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${child?.name ?? 'server'} on port ${port} did not answer within ${timeoutMs} ms (${lastError})\n${child?.output() ?? ''}`,
  );
}

/** The first executable found among `candidates` (absolute paths or names looked up on PATH). */
export function findBinary(...candidates: string[]): string | null {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin', '/sbin']);
  for (const c of candidates) {
    const paths = c.includes('/') ? [c] : dirs.map((d) => `${d}/${c}`);
    for (const p of paths) {
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  return null;
}
