/**
 * @module test/conformance/verge-under-test
 * The Verge edge as the conformance suite sees it: one distribution in front of the suite's
 * origin, started in-process on a free loopback port through the same config loader as
 * `verge edge --config`. The config is the fair one for an RFC 9111 test:
 * - the cache policy adds no freshness of its own (minTTL 0, defaultTTL 0), so a response without
 *   freshness information is not stored (peers.md 3.1, gotcha 4) and the origin's headers decide;
 * - every viewer header, cookie and query string reaches the origin (`AllViewer`), and the whole
 *   query string is in the cache key;
 * - all seven methods are allowed, so the suite's `PUT /config/<id>` reaches the origin;
 * - `/config/*` and `/state/*` (the suite's own plumbing) are never cached;
 * - no edge compression (it would rewrite bodies and ETags the tests compare).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionRuntime } from '../../src/shared/lambda-edge/index.js';

const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];

export function conformanceConfig(originPort: number): object {
  const plumbing = (pathPattern: string): object => ({
    pathPattern,
    targetOriginId: 'cache-tests',
    allowedMethods: ALL_METHODS,
    cachePolicy: 'CachingDisabled',
    originRequestPolicy: 'AllViewer',
    compress: false,
  });
  return {
    id: 'conformance',
    aliases: ['127.0.0.1', 'localhost'],
    origins: [{ id: 'cache-tests', domainName: '127.0.0.1', port: originPort, protocol: 'http', readTimeout: 30 }],
    defaultCacheBehavior: {
      targetOriginId: 'cache-tests',
      allowedMethods: ALL_METHODS,
      cachedMethods: ['GET', 'HEAD'],
      compress: false,
      cachePolicy: {
        name: 'rfc9111',
        minTTL: 0,
        defaultTTL: 0,
        maxTTL: 31536000,
        queryStrings: 'all',
        cookies: 'none',
      },
      originRequestPolicy: 'AllViewer',
    },
    cacheBehaviors: [plumbing('/config/*'), plumbing('/state/*')],
    // CloudFront caches an error for its ErrorCachingMinTTL (10 s by default) whatever the
    // origin says; at 0 the edge follows RFC 9111 for that status, which is what the suite's
    // required tests check (heuristic-50x-not_cached, status-*-stale). A distribution decides;
    // here 0 for the statuses those tests use. 414 and 501 keep the default, so they stay
    // heuristically cached (RFC 9111 4.2.2 allows it; heuristic-*-cached are optimal tests); 404
    // is 0 because status-404-stale is required, which costs the optimal heuristic-404-cached.
    customErrorResponses: [404, 500, 502, 503, 504].map((errorCode) => ({
      errorCode,
      errorCachingMinTTL: 0,
    })),
  };
}

/** The suite configures no functions; this runtime refuses to load any (no isolates needed). */
const noFunctions: FunctionRuntime = {
  async load() {
    throw new Error('the conformance edge runs no functions');
  },
  async invoke() {
    throw new Error('the conformance edge runs no functions');
  },
  async unload() {},
  async close() {},
};

export interface ConformanceEdge {
  url: string;
  close(): Promise<void>;
}

/** Start the edge in front of the suite's origin on `originPort`. */
export async function startConformanceEdge(originPort: number): Promise<ConformanceEdge> {
  // Imported here so that a broken edge build fails this call, not the module that imports us.
  const { startEdge } = await import('../../src/edge/edge.js');
  const { memoryLogger } = await import('../../src/shared/log.js');
  const dir = mkdtempSync(join(tmpdir(), 'verge-conformance-'));
  const configPath = join(dir, 'conformance.json');
  writeFileSync(configPath, JSON.stringify(conformanceConfig(originPort), null, 2));
  const edge = await startEdge({
    configPaths: [configPath],
    host: '127.0.0.1',
    port: 0,
    geo: false,
    accessLog: 'off',
    logger: memoryLogger(),
    runtime: noFunctions,
    popId: 'conformance',
  });
  return {
    url: edge.url,
    async close() {
      try {
        await edge.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
