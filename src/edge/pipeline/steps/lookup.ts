/**
 * @module edge/pipeline/steps/lookup
 * Step `lookup`: compute the cache key from the (possibly rewritten) request and the cache
 * policy (spec 7.2), then serve a fresh object, serve a stale one while revalidating in the
 * background (`stale-while-revalidate`), or go to `fetch` keeping the stale copy for
 * revalidation and `stale-if-error`.
 */
import { buildCacheKey, freshnessOf } from '../../cache/index.js';
import type { CacheEntry } from '../../cache/types.js';
import type { CfHeaders } from '../../../shared/lambda-edge/index.js';
import type { PipelineDeps } from '../deps.js';
import type { StepName } from '../steps.js';
import type { ViewerTxn } from '../transaction.js';
import { ageOf, lookupAsync, lookupSync, responseFromEntry } from '../cache-io.js';
import { cloudFrontHeadersFor, wantedCloudFrontHeaders } from '../viewer-headers.js';
import { revalidateInBackground } from './fetch.js';

/** Headers the cache key and the origin request are built from: the viewer's plus CloudFront's. */
export function keyHeaders(txn: ViewerTxn, deps: PipelineDeps): CfHeaders {
  if (!wantedCloudFrontHeaders(txn.behavior!)) return txn.request.headers;
  return { ...txn.request.headers, ...cloudFrontHeadersFor(txn, deps) };
}

/** GET and HEAD (and OPTIONS when configured) are cached, unless the policy caches nothing. */
export function isCacheable(txn: ViewerTxn): boolean {
  const b = txn.behavior!;
  return b.cachedMethods.has(txn.request.method) && b.cachePolicy.maxTTL > 0;
}

export function lookup(txn: ViewerTxn, deps: PipelineDeps): StepName | Promise<StepName> {
  const headers = keyHeaders(txn, deps);
  const k = buildCacheKey({
    domainName: txn.dist!.domainName,
    method: txn.request.method,
    uri: txn.request.uri,
    querystring: txn.request.querystring,
    headers,
    policy: txn.behavior!.cachePolicy,
  });
  txn.cacheKey = k.key;
  txn.invalidationPath = k.invalidationPath;
  txn.acceptEncoding = k.acceptEncoding;
  if (!isCacheable(txn)) return 'fetch';
  const hit = lookupSync(deps.cache, k.key, txn, headers);
  if (hit !== undefined) return decide(txn, deps, hit);
  return lookupAsync(deps.cache, k.key, txn, headers).then((e) => decide(txn, deps, e));
}

function decide(txn: ViewerTxn, deps: PipelineDeps, entry: CacheEntry | null): StepName {
  if (!entry) return 'fetch';
  const now = deps.clock.now();
  const state = freshnessOf(entry, now);
  if (state === 'fresh' || state === 'stale-while-revalidate') {
    txn.response = responseFromEntry(entry);
    txn.ageSec = ageOf(entry, now);
    txn.originStatus = entry.status;
    txn.resultType = 'Hit';
    txn.detailedResultType = state === 'fresh' ? 'Hit' : 'StaleHit';
    txn.conditions.add('cache-hit');
    if (state === 'stale-while-revalidate') revalidateInBackground(txn, deps, entry);
    return 'deliver';
  }
  txn.staleEntry = entry;
  return 'fetch';
}
