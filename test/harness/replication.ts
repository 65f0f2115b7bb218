/**
 * @module test/harness/replication
 * A whole managed deployment in one process for the replication scenario tests
 * (test/scenarios/repl-*.test.ts) and `bench/propagation.ts`: the real control plane
 * (`startControl`) on a loopback port with its data in a temp folder, managed edges
 * (`startManagedEdge`, the same code `verge edge --control` runs) with their own data dirs and
 * edge tokens created through the API, a scripted origin, and helpers to drive the API and to
 * request through a PoP.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { silentLogger, type Logger } from '../../src/shared/log.js';
import { startControl } from '../../src/control/index.js';
import { startManagedEdge, type ManagedEdge } from '../../src/cli/edge-managed.js';
import { adminApi, type Api } from '../../src/cli/up-seed.js';
import { freePorts } from './ports.js';

export interface Control {
  url: string;
  close(): Promise<void>;
}

export interface World {
  dir: string;
  control: Control;
  api: Api;
  adminToken: string;
  edges: Map<string, ManagedEdge>;
  /**
   * Start (or restart) a managed edge for `pop`; `controlUrl` overrides the control plane URL (a
   * proxy); `geoOverrides` is the edge's `--geo-overrides` file.
   */
  startEdge(pop: string, opts?: { controlUrl?: string; geoOverrides?: string }): Promise<ManagedEdge>;
  stopEdge(pop: string): Promise<void>;
  stopControl(): Promise<void>;
  /** Start the control plane again on the same port and data. */
  restartControl(): Promise<void>;
  get(
    pop: string,
    path: string,
    host?: string,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>;
  close(): Promise<void>;
}

export async function startWorld(opts: { pops: string[]; logger?: Logger }): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'verge-repl-'));
  const logger = opts.logger ?? silentLogger;
  const controlDir = join(dir, 'control');
  // A fixed port outside the ephemeral range, because restartControl binds it again (ports.ts).
  const [port] = await freePorts(1);
  let control: Control = await startControl({ port, host: '127.0.0.1', dataDir: controlDir, logger });
  const adminToken = readFileSync(join(controlDir, 'admin-token'), 'utf8').trim();
  const api = adminApi(control.url, adminToken);
  const tokens = new Map<string, string>();
  const edges = new Map<string, ManagedEdge>();
  let controlUp = true;

  const world: World = {
    dir,
    get control() {
      return control;
    },
    api,
    adminToken,
    edges,
    async startEdge(pop, o = {}) {
      if (!tokens.has(pop))
        tokens.set(
          pop,
          (await api<{ token: string }>('POST', '/tokens', { name: `edge ${pop}`, kind: 'edge', pop })).token,
        );
      const m = await startManagedEdge({
        controlUrl: o.controlUrl ?? control.url,
        token: tokens.get(pop)!,
        popId: pop,
        region: `region-${pop}`,
        dataDir: join(dir, `edge-${pop}`),
        host: '127.0.0.1',
        port: 0,
        geo: false,
        ...(o.geoOverrides ? { geoOverrides: o.geoOverrides } : {}),
        accessLog: 'off',
        logger: logger.child({ pop }),
        telemetryFlushMs: 200,
        backoffMs: { initial: 50, max: 500 },
      });
      edges.set(pop, m);
      return m;
    },
    async stopEdge(pop) {
      await edges.get(pop)?.close();
      edges.delete(pop);
    },
    async stopControl() {
      if (!controlUp) return;
      controlUp = false;
      await control.close();
    },
    async restartControl() {
      if (controlUp) return;
      control = await startControl({ port, host: '127.0.0.1', dataDir: controlDir, logger });
      controlUp = true;
    },
    async get(pop, path, host = 'shop.test') {
      const r = await request(edges.get(pop)!.edge.url + path, { headers: { host } });
      return {
        status: r.statusCode,
        headers: r.headers as Record<string, string | string[] | undefined>,
        text: await r.body.text(),
      };
    },
    async close() {
      await Promise.all([...edges.keys()].map((p) => world.stopEdge(p)));
      await world.stopControl();
    },
  };
  for (const pop of opts.pops) await world.startEdge(pop);
  return world;
}

/** A Lambda@Edge viewer-response function that stamps `X-Fn: <tag>`. */
export function taggerSource(tag: string): string {
  return `exports.handler = async (event) => {
  const r = event.Records[0].cf.response;
  r.headers['x-fn'] = [{ key: 'X-Fn', value: ${JSON.stringify(tag)} }];
  console.log('tagged ' + ${JSON.stringify(tag)});
  return r;
};
`;
}

/** A distribution `shop` (host shop.test) in front of an origin on 127.0.0.1:port. */
export function shopDistribution(originPort: number): Record<string, unknown> {
  return {
    id: 'shop',
    aliases: ['shop.test'],
    origins: [
      {
        id: 'o',
        domainName: '127.0.0.1',
        port: originPort,
        protocol: 'http',
        connectionAttempts: 1,
        connectionTimeout: 2,
      },
    ],
    defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingOptimized' },
  };
}

/** Put `source` as the function's code (creating it the first time), publish, and return the version. */
export async function publishTagger(api: Api, name: string, source: string): Promise<number> {
  const code = { files: { 'index.js': source } };
  const exists = await api('GET', `/functions/${name}`).then(
    () => true,
    () => false,
  );
  if (exists) await api('PUT', `/functions/${name}/code`, { code });
  else await api('POST', '/functions', { name, runtime: 'nodejs', handler: 'index.handler', code });
  return (await api<{ version: number }>('POST', `/functions/${name}/publish`, {})).version;
}

/** Poll `probe` every `everyMs` until it returns true or `timeoutMs` passes; throws with `what`. */
export async function until(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
