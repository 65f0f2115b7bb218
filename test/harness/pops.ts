/**
 * @module test/harness/pops
 * A fleet for end-to-end deploy tests: the real control plane in-process
 * (`startTestControl`, API driven over HTTP) and PoPs as real `verge edge --control` child
 * processes (bin/verge.js, the same command `verge up` supervises), each with its own edge
 * token, data dir and ports chosen by the process itself (`--port 0`, read back from its output).
 * Children are spawned detached and reaped with this process (reap.ts), so a cancelled test file
 * leaves none behind. `get()` sends a request through one PoP; `output()` is what the PoP printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { Clock } from '../../src/shared/clock.js';
import { startTestControl, type TestControl } from '../../src/control/testing/harness.js';
import { reapOnExit } from './reap.js';

const BIN = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));
// The CLI from src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';

export interface PopProcess {
  id: string;
  url: string;
  adminUrl: string;
  child: ChildProcess;
  /** Every line it printed (stdout and stderr), in order. */
  lines: string[];
}

export interface PopResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  header(name: string): string | undefined;
  text: string;
}

export interface Fleet {
  t: TestControl;
  pops: Map<string, PopProcess>;
  /** Start (or start again, on the same data dir) the PoP `id`; one process unless `args` says `--workers N`. */
  start(id: string, args?: string[]): Promise<PopProcess>;
  /** SIGTERM and wait for the exit. */
  stop(id: string): Promise<void>;
  get(pop: string, path: string, o?: { host?: string; headers?: Record<string, string> }): Promise<PopResponse>;
  /** Resolves with the first line (already printed or to come) matching `re`. */
  waitForLine(pop: string, re: RegExp, timeoutMs?: number): Promise<string>;
  output(pop: string): string;
  close(): Promise<void>;
}

export async function startFleet(o: { pops: string[]; clock?: Clock; pingIntervalMs?: number }): Promise<Fleet> {
  const t = await startTestControl({
    pingIntervalMs: o.pingIntervalMs ?? 1000,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  const tokens = new Map<string, string>();
  const pops = new Map<string, PopProcess>();
  const listeners = new Map<string, Array<(line: string) => void>>();

  const fleet: Fleet = {
    t,
    pops,
    async start(id, extra = []) {
      if (!tokens.has(id)) {
        const r = await t.api('POST', '/tokens', { name: `edge ${id}`, kind: 'edge', pop: id });
        if (r.status !== 201) throw new Error(`edge token for ${id}: ${r.status} ${r.text}`);
        tokens.set(id, r.body.token);
      }
      const args = [
        '--no-node-snapshot', BIN, 'edge', '--control', t.control.url, '--pop', id, '--region', `region-${id}`,
        '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', '--data-dir', join(t.dir, `edge-${id}`),
        '--workers', '1', ...extra,
      ]; // prettier-ignore
      const child = spawn(process.execPath, args, {
        env: { ...process.env, VERGE_EDGE_TOKEN: tokens.get(id)! },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      reapOnExit(child);
      const lines: string[] = [];
      const onLine = (line: string) => {
        lines.push(line);
        for (const l of listeners.get(id) ?? []) l(line);
      };
      for (const s of [child.stdout!, child.stderr!]) {
        let buf = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            onLine(buf.slice(0, nl));
            buf = buf.slice(nl + 1);
          }
        });
      }
      const p: PopProcess = { id, url: '', adminUrl: '', child, lines };
      pops.set(id, p);
      const exited = new Promise<never>((_, reject) =>
        child.once('exit', (code, sig) =>
          reject(new Error(`PoP ${id} exited (${code ?? sig}) before it was ready:\n${lines.join('\n')}`)),
        ),
      );
      exited.catch(() => {});
      const viewers = await Promise.race([fleet.waitForLine(id, /^viewers\s+http:\/\//, 60_000), exited]);
      const admin = await Promise.race([fleet.waitForLine(id, /^admin\s+http:\/\//, 10_000), exited]);
      p.url = /(http:\/\/\S+)/.exec(viewers)![1]!;
      p.adminUrl = /(http:\/\/\S+?)\/healthz/.exec(admin)![1]!;
      return p;
    },
    async stop(id) {
      const p = pops.get(id);
      if (!p) return;
      pops.delete(id);
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
        p.child.once('exit', () => (clearTimeout(timer), resolve()));
        p.child.kill('SIGTERM');
      });
    },
    async get(pop, path, r = {}) {
      const p = pops.get(pop);
      if (!p) throw new Error(`no PoP ${pop}`);
      const res = await request(p.url + path, {
        headers: { host: r.host ?? 'shop.test', ...(r.headers ?? {}) },
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      const text = await res.body.text();
      const headers = res.headers as Record<string, string | string[] | undefined>;
      return {
        status: res.statusCode,
        headers,
        header: (n) => {
          const v = headers[n.toLowerCase()];
          return Array.isArray(v) ? v[0] : v;
        },
        text,
      };
    },
    waitForLine(pop, re, timeoutMs = 30_000) {
      const seen = pops.get(pop)?.lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const list = listeners.get(pop) ?? [];
        listeners.set(pop, list);
        const timer = setTimeout(() => {
          listeners.set(
            pop,
            (listeners.get(pop) ?? []).filter((l) => l !== on),
          );
          reject(new Error(`PoP ${pop} printed no line matching ${re} in ${timeoutMs} ms:\n${fleet.output(pop)}`));
        }, timeoutMs);
        const on = (line: string) => {
          if (!re.test(line)) return;
          clearTimeout(timer);
          listeners.set(
            pop,
            (listeners.get(pop) ?? []).filter((l) => l !== on),
          );
          resolve(line);
        };
        list.push(on);
      });
    },
    output(pop) {
      return pops.get(pop)?.lines.join('\n') ?? '';
    },
    async close() {
      await Promise.all([...pops.keys()].map((id) => fleet.stop(id)));
      await t.close();
    },
  };
  try {
    await Promise.all(o.pops.map((id) => fleet.start(id)));
  } catch (e) {
    await fleet.close();
    throw e;
  }
  return fleet;
}
