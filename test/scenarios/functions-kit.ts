/**
 * @module test/scenarios/functions-kit
 * Helpers shared by the function scenario tests: load an example folder (its distribution.json
 * and function files) pointed at a scripted origin, find function-error log entries and
 * access-log lines, and send requests from a chosen loopback address (for geo overrides).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { get as httpGet } from 'node:http';
import { overrideOrigins } from '../../src/cli/fn-dev-server.js';
import type { DistributionConfig } from '../../src/shared/config/types.js';
import type { TestEdge, TestResponse } from '../harness/edge.js';

export const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

/** An example's config aimed at `originUrl`, and its files (minus public/ and docs) for the harness. */
export function loadExample(
  name: string,
  originUrl: string,
): { config: DistributionConfig; files: Record<string, Buffer> } {
  const root = join(EXAMPLES, name);
  const files: Record<string, Buffer> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const p = join(dir, entry);
      const rel = relative(root, p);
      if (rel === 'public' || rel === 'distribution.json' || entry === 'README.md') continue;
      if (statSync(p).isDirectory()) walk(p);
      else files[rel] = readFileSync(p);
    }
  };
  walk(root);
  const config = JSON.parse(readFileSync(join(root, 'distribution.json'), 'utf8')) as DistributionConfig;
  return { config: overrideOrigins(config, new URL(originUrl)), files };
}

/** The function-error entries the edge logged (FunctionHost: `type: 'function-error'`). */
export function functionErrors(te: TestEdge): Array<Record<string, unknown>> {
  return te.logs.lines.filter((l) => l.type === 'function-error');
}

/** The access-log line of a request id; the log is flushed per tick, so poll briefly (bounded). */
export async function accessLine(te: TestEdge, requestId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = te.accessLog.find((l) => l['x-edge-request-id'] === requestId);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no access-log line for ${requestId}`);
}

/** A GET from a given loopback source address (127.0.0.2 ...), so geo overrides can tell viewers apart. */
export function getFrom(
  te: TestEdge,
  localAddress: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = httpGet(
      te.url + path,
      { localAddress, headers: { host: 'localhost', ...headers }, agent: false, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const h = res.headers as Record<string, string | string[] | undefined>;
          resolve({
            status: res.statusCode ?? 0,
            headers: h,
            header: (n) => {
              const v = h[n.toLowerCase()];
              return Array.isArray(v) ? v[0] : v;
            },
            body,
            text: body.toString('utf8'),
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

/** X-Cache without the ` from verge` suffix. */
export function xCache(r: TestResponse): string | undefined {
  return r.header('x-cache')?.replace(/ from \w+$/, '');
}
