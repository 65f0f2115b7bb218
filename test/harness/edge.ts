/**
 * @module test/harness/edge
 * Starts a real edge in-process for scenario tests (the varnishtest `v1`): an inline
 * distribution config written to a temp folder with its function files, loaded through the
 * same loader as `verge edge --config`, on a free loopback port. `get()` sends a request with
 * the distribution's Host header.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { request as undiciRequest } from 'undici';
import type { Clock } from '../../src/shared/clock.js';
import { memoryLogger } from '../../src/shared/log.js';
import type { FunctionRuntime } from '../../src/shared/lambda-edge/index.js';
import { startEdge, type Edge, type EdgeOptions } from '../../src/edge/edge.js';

export interface TestEdge {
  edge: Edge;
  dir: string;
  url: string;
  logs: ReturnType<typeof memoryLogger>;
  accessLog: Record<string, unknown>[];
  get(path: string, opts?: RequestOpts): Promise<TestResponse>;
  request(path: string, opts?: RequestOpts): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface RequestOpts {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  host?: string;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** First value of a header, lower-case name. */
  header(name: string): string | undefined;
  body: Buffer;
  text: string;
}

export interface TestEdgeOptions extends Partial<EdgeOptions> {
  /** One or more distribution configs (objects); written to `<dir>/dist-N.json`. */
  configs: object[];
  /** Files to write next to the configs, e.g. `{ 'functions/auth.js': '...' }`. */
  files?: Record<string, string | Buffer>;
  clock?: Clock;
  runtime?: FunctionRuntime;
}

export async function startTestEdge(o: TestEdgeOptions): Promise<TestEdge> {
  const dir = mkdtempSync(join(tmpdir(), 'verge-test-'));
  for (const [name, content] of Object.entries(o.files ?? {})) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const paths = o.configs.map((c, i) => {
    const p = join(dir, `dist-${i}.json`);
    writeFileSync(p, JSON.stringify(c, null, 2));
    return p;
  });
  const logs = memoryLogger();
  const accessLogPath = join(dir, 'access.log');
  const { configs: _c, files: _f, ...rest } = o;
  // Records are also kept in memory, synchronously: the file is written in batches, so a test
  // reading it right after a response could miss the last lines.
  const records: Record<string, unknown>[] = [];
  const userTap = rest.onAccessLog;
  const edge = await startEdge({
    host: '127.0.0.1',
    port: 0,
    geo: false,
    logger: logs,
    accessLog: accessLogPath,
    ...rest,
    onAccessLog: (r) => {
      records.push(r);
      userTap?.(r);
    },
    configPaths: paths,
  });
  const defaultHost = (o.configs[0] as { aliases?: string[] }).aliases?.[0] ?? 'localhost';
  const request = async (path: string, opts: RequestOpts = {}): Promise<TestResponse> => {
    const headers: Record<string, string | string[]> = { host: opts.host ?? defaultHost, ...(opts.headers ?? {}) };
    const r = await undiciRequest(edge.url + path, {
      method: (opts.method ?? 'GET') as 'GET',
      headers,
      ...(opts.body !== undefined ? { body: opts.body } : {}),
    });
    const body = Buffer.from(await r.body.arrayBuffer());
    const h = r.headers as Record<string, string | string[] | undefined>;
    return {
      status: r.statusCode,
      headers: h,
      header: (n) => {
        const v = h[n.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      },
      body,
      text: body.toString('utf8'),
    };
  };
  return {
    edge,
    dir,
    url: edge.url,
    logs,
    get accessLog() {
      return records;
    },
    get: (p, opts) => request(p, { ...opts, method: 'GET' }),
    request,
    close: () => edge.close(),
  };
}

/**
 * `distribution(originPort)` written to `dir/dist.json` for a spawned edge, its origin's read
 * timeout at CloudFront's 30 s rather than 5 s: the pattern origin shares the test's process with
 * viewers hashing what they read, or is held on purpose. Returns the file's path.
 */
export function writePatternDistribution(dir: string, originPort: number): string {
  const dist = distribution(originPort);
  (dist['origins'] as Array<Record<string, unknown>>)[0]!['readTimeout'] = 30;
  const path = join(dir, 'dist.json');
  writeFileSync(path, JSON.stringify(dist));
  return path;
}

/** A minimal distribution in front of one origin; override any field. */
export function distribution(originPort: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'test',
    aliases: ['test.local'],
    origins: [
      {
        id: 'o1',
        domainName: '127.0.0.1',
        port: originPort,
        protocol: 'http',
        connectionAttempts: 1,
        connectionTimeout: 2,
        readTimeout: 5,
      },
    ],
    defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: 'CachingOptimized' },
    ...overrides,
  };
}

/**
 * A GET to the edge from a chosen loopback source address (127.0.0.2, 127.0.0.3, ...): with a
 * `--geo-overrides` file, each address stands for a viewer in another country or network.
 * (undici's Agent does not pass `localAddress` on to the socket; node:http does.)
 */
export function getFrom(
  url: string,
  localAddress: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; header(name: string): string | undefined }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, path, headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = res.headers;
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          header: (n) => {
            const v = h[n.toLowerCase()];
            return Array.isArray(v) ? v[0] : v;
          },
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
