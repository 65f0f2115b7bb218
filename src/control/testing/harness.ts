/**
 * @module control/testing/harness
 * For tests: a control plane on 127.0.0.1 port 0 with its data in a temp folder, and a small API
 * client that records every response body (so a test can search all of them for a secret).
 * Used by test/scenarios/control-*.test.ts; not part of the product.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import type { Clock } from '../../shared/clock.js';
import { memoryLogger } from '../../shared/log.js';
import { startControl, type Control } from '../control.js';

export interface ApiAnswer<T = any> {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
  body: T;
}

export interface CallOptions {
  token?: string | null;
  ifMatch?: string;
  headers?: Record<string, string>;
}

export interface TestControl {
  control: Control;
  dir: string;
  adminToken: string;
  logger: ReturnType<typeof memoryLogger>;
  /** Every response text seen so far. */
  responses: string[];
  api<T = any>(method: string, path: string, body?: unknown, o?: CallOptions): Promise<ApiAnswer<T>>;
  /** Stop and start again on the same data folder (and port). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestControl(
  o: {
    clock?: Clock;
    logRetentionMs?: number;
    pingIntervalMs?: number;
    dir?: string;
    /** A PostgreSQL URL (several replicas share one database), instead of SQLite in the data folder. */
    store?: string;
    /** The admin token to call with, when another replica created it. */
    adminToken?: string;
    /** A NATS URL to relay the outbox to. */
    nats?: string;
  } = {},
): Promise<TestControl> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'verge-control-'));
  const logger = memoryLogger();
  const opts = {
    port: 0,
    host: '127.0.0.1',
    dataDir: join(dir, 'data'),
    logger,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.logRetentionMs ? { logRetentionMs: o.logRetentionMs } : {}),
    ...(o.pingIntervalMs ? { pingIntervalMs: o.pingIntervalMs } : {}),
    ...(o.store ? { store: o.store } : {}),
    ...(o.nats ? { nats: o.nats } : {}),
  };
  let control = await startControl(opts);
  // Its own connection pool, replaced on restart: the old server's keep-alive sockets are gone.
  let agent = new Agent();
  const adminToken = o.adminToken ?? control.adminToken!;
  const responses: string[] = [];
  const t: TestControl = {
    get control() {
      return control;
    },
    dir,
    adminToken,
    logger,
    responses,
    async api(method, path, body, c = {}) {
      const token = c.token === undefined ? adminToken : c.token;
      const headers: Record<string, string> = { ...(c.headers ?? {}) };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (c.ifMatch !== undefined) headers['if-match'] = c.ifMatch;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const r = await fetch(control.url + '/api/v1' + path, {
        method,
        headers,
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
        dispatcher: agent,
      });
      const text = await r.text();
      responses.push(text);
      let parsed: unknown = undefined;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: r.status, headers: r.headers, text, body: parsed as any };
    },
    async restart() {
      const port = Number(new URL(control.url).port);
      await control.close();
      await agent.close();
      agent = new Agent();
      control = await startControl({ ...opts, port });
    },
    async close() {
      await control.close();
      await agent.close();
      if (o.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}

/** A minimal valid distribution config. */
export function distribution(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    aliases: [`${id}.test`],
    origins: [{ id: 'origin', domainName: '127.0.0.1', port: 9 }],
    defaultCacheBehavior: { targetOriginId: 'origin' },
    cacheBehaviors: [{ pathPattern: '/api/*', targetOriginId: 'origin' }],
    ...extra,
  };
}

/** A Lambda@Edge handler that adds `x-tag: <tag>` to the request. */
export function taggingSource(tag: string): string {
  return `exports.handler = async (event) => {
  const req = event.Records[0].cf.request;
  console.log('tagging ' + ${JSON.stringify(tag)});
  req.headers['x-tag'] = [{ key: 'X-Tag', value: ${JSON.stringify(tag)} }];
  return req;
};
`;
}
