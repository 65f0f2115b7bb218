/**
 * @module test/harness/edge-process
 * One PoP as a real `verge edge --config` child process, for tests that measure what the edge
 * itself holds (RSS from /proc/PID/status) while it is attacked: the in-process test edge shares
 * its memory with the test runner. Spawned detached and reaped with this process (reap.ts);
 * ports chosen by the process (`--port 0`), read back from its output. One process (`--workers 1`)
 * unless `extraArgs` asks for more: RSS is measured on the process that serves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reapOnExit } from './reap.js';

const BIN = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));

export interface EdgeProcess {
  url: string;
  child: ChildProcess;
  /** Resident set size of the edge process now, in MB. */
  rssMB(): number;
  output(): string;
  stop(): Promise<void>;
}

export async function spawnEdge(configPath: string, extraArgs: string[] = []): Promise<EdgeProcess> {
  const args = ['--no-node-snapshot', BIN, 'edge', '--config', configPath, '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', '--access-log', 'off', '--workers', '1', ...extraArgs]; // prettier-ignore
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  reapOnExit(child);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the edge did not start in 60 s:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
      const m = /^viewers\s+(http:\/\/\S+)/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`the edge exited (${code ?? sig}) before it was ready:\n${out}`));
    });
  });
  return {
    url,
    child,
    rssMB() {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    },
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => (clearTimeout(timer), resolve()));
        child.kill('SIGTERM');
      });
    },
  };
}
