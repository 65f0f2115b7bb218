/**
 * @module test/harness/nats
 * A NATS server with JetStream of the test's own (`nats-server -a 127.0.0.1 -p <free port> -js
 * -sd <temp dir>`), so a test can stop and start it and never shares buckets or streams with
 * another test file or the machine's server at 4222. `stop()` kills it and `start()` brings it
 * back on the same port with the same store directory (JetStream state survives, as it does
 * when an operator restarts NATS).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath } from './needs.js';
import { freePorts } from './ports.js';
import { reapOnExit } from './reap.js';

/** The nats-server binary (PATH, else Debian's /usr/sbin), undefined when not installed. */
export const NATS_SERVER_BIN =
  onPath('nats-server') ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : undefined);

const BIN = NATS_SERVER_BIN;

/** False when nats-server is installed, else why not and how to get it. */
export function missingNatsServer(): string | false {
  return BIN
    ? false
    : 'nats-server is not installed (Debian package "nats-server"); the NATS fan-out tests start their own';
}

export interface TestNats {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('data', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
  });
}

export async function startNats(): Promise<TestNats> {
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'verge-nats-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn(BIN!, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {
      stdio: 'ignore',
      detached: true,
    });
    reapOnExit(c);
    child = c;
    for (let i = 0; i < 100; i++) {
      if (c.exitCode !== null) throw new Error(`nats-server exited with ${c.exitCode} on port ${port}`);
      if (await answers(port!)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server did not answer on port ${port} within 5 s`);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port: port!,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
