/**
 * @module edge/pipeline/unsafe-invalidate
 * RFC 9111 4.4: after a non-error response (2xx, 3xx) to an unsafe method (POST, PUT, DELETE,
 * PATCH, or any method not known to be safe), the cache invalidates the target URI, and the
 * URIs in `Location` and `Content-Location` when they name the same host. CloudFront documents
 * no such rule (spec 7.6 only has explicit invalidations); Verge does it because Varnish and
 * nginx users expect a write to be visible on the next read (docs/lambda-edge-compat.md).
 *
 * Cost: a URI whose behavior caches nothing (CachingDisabled, the usual API setup) costs nothing;
 * otherwise its keys (one per Accept-Encoding normalization) are deleted directly, and the
 * store-wide scan behind path invalidation runs only when something was removed (it may have
 * been a Vary record, whose variants live under longer keys) or when the cache policy keys on
 * headers or cookies (other viewers' keys for the URI cannot be computed).
 */
import { buildCacheKey } from '../cache/index.js';
import { getHeader, type CfHeaders } from '../../shared/lambda-edge/index.js';
import type { PipelineDeps } from './deps.js';
import type { FetchResult, RoutedTxn } from './transaction.js';
import { keyHeaders } from './fetch-txn.js';

/** RFC 9110 9.2.1: the safe methods. Anything else (even an unknown method) invalidates. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Whether this fetch result obliges the cache to invalidate (RFC 9111 4.4). */
export function invalidatesTarget(method: string, r: FetchResult): boolean {
  if (SAFE_METHODS.has(method) || r.source !== 'origin') return false;
  const s = r.response.status;
  return s >= 200 && s < 400;
}

/** Invalidate the target URI and same-host Location / Content-Location URIs of an unsafe request. */
export function invalidateAfterUnsafe(txn: RoutedTxn, deps: PipelineDeps, r: FetchResult): void {
  if (!invalidatesTarget(txn.request.method, r)) return;
  const targets: Array<{ uri: string; querystring: string }> = [
    { uri: txn.request.uri, querystring: txn.request.querystring },
  ];
  const base = `http://${getHeader(txn.request.headers, 'host') ?? txn.host}${txn.request.uri}`;
  for (const name of ['location', 'content-location']) {
    const t = sameHostTarget(getHeader(r.response.headers, name), base);
    if (t && !targets.some((x) => x.uri === t.uri && x.querystring === t.querystring)) targets.push(t);
  }
  for (const t of targets) {
    try {
      invalidateUri(txn, deps, t.uri, t.querystring);
    } catch (e) {
      // The write already succeeded at the origin; a failed eviction must not turn it into an error.
      deps.logger.log('warn', 'invalidation after an unsafe request failed', { uri: t.uri, error: String(e) });
    }
  }
}

/** A `Location`-style value resolved against the request URL, if it names the same host (RFC 9111 4.4). */
export function sameHostTarget(value: string | undefined, base: string): { uri: string; querystring: string } | null {
  if (value === undefined || value.trim() === '') return null;
  let u: URL;
  let b: URL;
  try {
    b = new URL(base);
    u = new URL(value.trim(), b);
  } catch {
    return null;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname !== b.hostname) return null;
  // Same host, any port: the edge answers for the host whatever the scheme and port.
  return { uri: u.pathname, querystring: u.search.slice(1) };
}

/** Accept-Encoding values that give every normalized encoding the cache key can hold (spec 7.2). */
const ENCODINGS = ['br, gzip', 'gzip', 'br', 'identity'];

function invalidateUri(txn: RoutedTxn, deps: PipelineDeps, uri: string, querystring: string): void {
  const dist = txn.dist;
  const policy = dist.behaviorFor(uri).cachePolicy;
  if (policy.maxTTL <= 0) return; // that behavior stores nothing
  const headers = keyHeaders(txn, deps);
  const keyFor = (h: CfHeaders) =>
    buildCacheKey({ domainName: dist.domainName, method: 'GET', uri, querystring, headers: h, policy });
  const own = keyFor(headers);
  const path = own.invalidationPath;
  // A `*` inside the path would read as a wildcard (spec 7.6): only exact keys can be removed.
  const scanOk = !path.includes('*');
  const keyedByRequest =
    (policy.headers.behavior === 'whitelist' && policy.headers.items.length > 0) || policy.cookies.behavior !== 'none';
  let found = false;
  if (!keyedByRequest || !scanOk) {
    const compress = policy.enableAcceptEncodingGzip || policy.enableAcceptEncodingBrotli;
    const keys = new Set([own.key]);
    if (compress)
      for (const enc of ENCODINGS)
        keys.add(keyFor({ ...headers, 'accept-encoding': [{ key: 'Accept-Encoding', value: enc }] }).key);
    for (const k of keys) if (deps.cache.delete(k)) found = true;
    // Found something: it may have been a Vary record whose variants live under longer keys.
    if (!found || !scanOk) return;
  }
  deps.cache.invalidate({ distributionId: dist.id, paths: [path] });
}
