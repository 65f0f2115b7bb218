/**
 * @module edge/pipeline/fetch-steps/store
 * Fetch step `store`: keep the response when the request is cacheable and the response storable
 * (spec 7.4, cache/storable.ts), under its Vary variant; an invalidation that arrived while the
 * fetch was in flight means the waiting viewers get it and nothing is kept. Ends the fetch.
 *
 * A body still arriving from the origin is stored as it arrives (cache-fill.ts): the fetch ends
 * at the response headers with the busy object as its result, and every viewer reads that. An
 * object the store refuses (larger than the per-object limit or the free cache) streams through
 * to the viewer that started the fetch and is not kept; the log says why.
 */
import { entryFromResponse } from '../../cache/index.js';
import type { CacheEntry } from '../../cache/types.js';
import { bodyLength, EMPTY_BODY, readBody, type StreamBody } from '../../body/index.js';
import type { PipelineDeps } from '../deps.js';
import type { FetchStepName } from '../fetch-table.js';
import type { FetchTxn } from '../transaction.js';
import { openStoredEntry, storeEntry } from '../cache-io.js';
import { CacheFills } from '../cache-fill.js';
import { timingOf } from '../fetch-txn.js';

/**
 * A stale-while-revalidate refresh of an object up to this size is read whole before it replaces
 * the stale copy, so viewers meanwhile keep getting the stale copy at once (Varnish's grace); a
 * larger one replaces it as a busy object, which viewers follow at the origin's pace.
 */
export const BACKGROUND_WHOLE_MAX = 8 * 1024 * 1024;

export function store(f: FetchTxn, deps: PipelineDeps): FetchStepName | Promise<FetchStepName> {
  const r = f.response!;
  f.result = { response: r, source: f.source, stored: null, ...timingOf(f) };
  if (!f.cacheable) return 'done';
  const body = r.body;
  const length = bodyLength(body);
  if (!Buffer.isBuffer(body) && f.background && length !== null && length <= BACKGROUND_WHOLE_MAX) {
    return readBody(body, length).then((whole) => {
      f.response = { ...r, body: whole };
      return store(f, deps);
    });
  }
  const entry = entryFor(f, deps, Buffer.isBuffer(body) ? body : null);
  if (!entry) return 'done';
  if (Buffer.isBuffer(body)) {
    const stored = storeEntry(deps.cache, entry, f.keyHeaders, f.acceptEncoding);
    if (deps.fence?.invalidatedSince(f.epoch, stored)) deps.cache.delete(stored.key);
    f.result.stored = stored;
    return 'done';
  }
  fill(f, deps, entry, body);
  return 'done';
}

/** Store a body that is still arriving; the result becomes the busy object every viewer reads. */
function fill(f: FetchTxn, deps: PipelineDeps, meta: CacheEntry, body: StreamBody): void {
  const w = openStoredEntry(deps.cache, meta, f.keyHeaders, f.acceptEncoding, bodyLength(body));
  if ('refused' in w) {
    deps.logger.log('info', 'cache object not stored; streamed through', {
      requestId: f.requestId,
      key: meta.key,
      reason: w.refused,
    });
    return;
  }
  // Invalidated while the origin answered: the viewers get it, the store lets it go.
  if (deps.fence?.invalidatedSince(f.epoch, w.entry)) deps.cache.delete(w.entry.key);
  const fills = deps.fills ?? (deps.fills = new CacheFills());
  deps.background(fills.start(body, w, deps.logger, w.entry.key));
  f.result = {
    response: { ...f.response!, body: EMPTY_BODY },
    source: f.source,
    stored: w.entry,
    bodySource: w.body,
    ...timingOf(f),
  };
}

function entryFor(f: FetchTxn, deps: PipelineDeps, body: Buffer | null): CacheEntry | null {
  const r = f.response!;
  return entryFromResponse({
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
}
