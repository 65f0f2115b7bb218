/**
 * @module edge/pipeline/fetch-steps/store
 * Fetch step `store`: keep the response when the request is cacheable and the response storable
 * (spec 7.4, cache/storable.ts), under its Vary variant; an invalidation that arrived while the
 * fetch was in flight means the waiting viewers get it and nothing is kept. Ends the fetch.
 */
import { entryFromResponse } from '../../cache/index.js';
import type { CacheEntry } from '../../cache/types.js';
import type { PipelineDeps } from '../deps.js';
import type { FetchStepName } from '../fetch-table.js';
import type { FetchTxn } from '../transaction.js';
import { storeEntry } from '../cache-io.js';
import { timingOf } from '../fetch-txn.js';

export function store(f: FetchTxn, deps: PipelineDeps): FetchStepName {
  const r = f.response!;
  // A body streaming through (a fetch that may not be stored asked for one) is not kept.
  const stored = f.cacheable && Buffer.isBuffer(r.body) ? keep(f, deps, r.body) : null;
  f.result = { response: r, source: f.source, stored, ...timingOf(f) };
  return 'done';
}

function keep(f: FetchTxn, deps: PipelineDeps, body: Buffer): CacheEntry | null {
  const r = f.response!;
  const entry = entryFromResponse({
    key: f.cacheKey!,
    distributionId: f.dist.id,
    // A cacheable HEAD was fetched with GET (fetch step `origin`), so the entry is a GET response.
    method: f.request.method === 'HEAD' ? 'GET' : f.request.method,
    cachedMethods: f.behavior.cachedMethods,
    requestHeaders: f.request.headers,
    status: r.status,
    statusText: r.statusText,
    headers: r.headers,
    body,
    policy: f.behavior.cachePolicy,
    errorCachingMinTTL: f.dist.customErrorResponses.get(r.status)?.errorCachingMinTTL ?? 10,
    invalidationPath: f.invalidationPath,
    now: deps.clock.now(),
  });
  if (!entry) return null;
  const stored = storeEntry(deps.cache, entry, f.keyHeaders, f.acceptEncoding);
  if (deps.fence?.invalidatedSince(f.epoch, stored)) deps.cache.delete(stored.key);
  return stored;
}
