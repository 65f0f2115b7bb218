/**
 * @module edge/pipeline/fetch-steps/revalidate
 * Fetch step `revalidate`: what the origin's answer means for the stale copy, if the fetch has
 * one. A 304 refreshes it (RFC 9111 4.3.4: RefreshHit); a failure or a 5xx serves it when
 * stale-if-error allows (spec 7.4, RFC 5861); a failure without it ends the fetch with the
 * error. Any other answer goes on to origin-response.
 */
import { canServeStaleOnError, refreshEntry } from '../../cache/index.js';
import type { CacheEntry } from '../../cache/types.js';
import { discardBody } from '../../body/index.js';
import type { PipelineDeps } from '../deps.js';
import type { FetchStepName } from '../fetch-table.js';
import type { FetchResult, FetchTxn } from '../transaction.js';
import { resultFromEntry } from '../cache-io.js';
import { timingOf } from '../fetch-txn.js';

export function revalidate(f: FetchTxn, deps: PipelineDeps): FetchStepName {
  const stale = f.staleEntry;
  const now = deps.clock.now();
  if (f.originError) {
    f.result =
      stale && canServeStaleOnError(stale, now)
        ? staleResult(stale)
        : {
            response: { status: 0, statusText: '', headers: {}, body: Buffer.alloc(0) },
            source: 'error',
            stored: null,
            error: f.originError,
          };
    return 'done';
  }
  const res = f.originResponse!;
  if (stale && res.status === 304) {
    discardBody(res.body);
    const refreshed = refreshEntry(stale, res.headers, now, { policy: f.behavior.cachePolicy });
    if (!deps.fence?.invalidatedSince(f.epoch, refreshed)) deps.cache.set(refreshed);
    f.result = { ...resultFromEntry(refreshed, 'refresh'), ...timingOf(f) };
    return 'done';
  }
  if (stale && res.status >= 500 && canServeStaleOnError(stale, now, 'error-status')) {
    discardBody(res.body);
    f.result = { ...staleResult(stale), ...timingOf(f) };
    return 'done';
  }
  f.response = { status: res.status, statusText: res.statusText, headers: res.headers, body: res.body };
  return 'originResponse';
}

function staleResult(stale: CacheEntry): FetchResult {
  return resultFromEntry(stale, 'stale-on-error');
}
