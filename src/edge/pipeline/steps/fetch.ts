/**
 * @module edge/pipeline/steps/fetch
 * Step `fetch`: a miss or an expired object. Concurrent misses for one cache key share one
 * origin fetch (request collapsing, spec 7.11); joiners are reported as `Hit`. A joiner whose
 * request selects another Vary variant, or whose leader got an uncacheable answer (which may be
 * personal), fetches on its own instead.
 */
import { cloneHeaders } from '../../../shared/lambda-edge/index.js';
import type { CacheEntry } from '../../cache/types.js';
import type { PipelineDeps } from '../deps.js';
import type { StepName } from '../steps.js';
import type { FetchResult, ViewerTxn } from '../transaction.js';
import { ageOf, variantKey } from '../cache-io.js';
import { fetchFromOrigins } from '../origin-fetch.js';
import { isCacheable, keyHeaders } from './lookup.js';
import { invalidateAfterUnsafe } from '../unsafe-invalidate.js';

export function fetchStep(txn: ViewerTxn, deps: PipelineDeps): Promise<StepName> {
  if (!isCacheable(txn) || txn.cacheKey === null) {
    return fetchFromOrigins(txn, deps, false).then((r) => {
      // Before the viewer hears back, so its next read cannot see the pre-write copy (RFC 9111 4.4).
      if (txn.dist !== null) invalidateAfterUnsafe(txn, deps, r);
      return apply(txn, deps, r, false);
    });
  }
  return deps.coalescer
    .run(txn.cacheKey, () => fetchFromOrigins(txn, deps, true))
    .then(({ value, joined }) => {
      if (joined && !canShare(txn, deps, value)) {
        return fetchFromOrigins(txn, deps, true).then((r) => apply(txn, deps, r, false));
      }
      if (joined) deps.stats.collapsed.inc({ distribution: txn.dist!.id });
      return apply(txn, deps, value, joined);
    });
}

/** A joiner may take the leader's response only if it was cacheable and is the same variant. */
function canShare(txn: ViewerTxn, deps: PipelineDeps, r: FetchResult): boolean {
  if (r.source === 'error' || r.source === 'stale-on-error') return true;
  if (!r.stored) return false;
  if (r.stored.vary.length === 0) return true;
  return variantKey(txn.cacheKey!, r.stored.vary, keyHeaders(txn, deps), txn.acceptEncoding) === r.stored.key;
}

function apply(txn: ViewerTxn, deps: PipelineDeps, r: FetchResult, joined: boolean): StepName {
  if (r.originLatencyMs !== undefined) txn.originLatencyMs = r.originLatencyMs;
  if (r.source === 'error') {
    txn.error = r.error!;
    if (r.errorClass) {
      txn.resultType = r.errorClass;
      txn.detailedResultType = r.errorClass;
    }
    return 'synth';
  }
  // Each viewer gets its own header map: later steps mutate it; the body buffer is shared.
  txn.response = { ...r.response, headers: cloneHeaders(r.response.headers) };
  txn.originStatus = r.response.status;
  const now = deps.clock.now();
  switch (r.source) {
    case 'origin':
      txn.resultType = joined ? 'Hit' : 'Miss';
      txn.detailedResultType = joined ? 'Hit' : 'Miss';
      break;
    case 'refresh':
      txn.resultType = joined ? 'Hit' : 'RefreshHit';
      txn.detailedResultType = txn.resultType;
      break;
    case 'generated-at-origin-request':
      txn.conditions.add('generated-at-origin-request');
      txn.resultType = joined ? 'Hit' : 'LambdaGeneratedResponse';
      txn.detailedResultType = txn.resultType;
      break;
    case 'stale-on-error':
      txn.resultType = 'Hit';
      txn.detailedResultType = 'StaleIfError';
      txn.conditions.add('cache-hit');
      break;
  }
  if (joined || r.source === 'stale-on-error') txn.ageSec = r.stored ? ageOf(r.stored, now) : null;
  return 'deliver';
}

/** `stale-while-revalidate`: refresh an entry without making the viewer wait (RFC 5861). */
export function revalidateInBackground(txn: ViewerTxn, deps: PipelineDeps, entry: CacheEntry): void {
  const shadow: ViewerTxn = { ...txn, staleEntry: entry, conditions: new Set(), functionsRan: [], response: null };
  const p = deps.coalescer
    .run(txn.cacheKey!, () => fetchFromOrigins(shadow, deps, true))
    .catch((e: unknown) =>
      deps.logger.log('warn', 'background revalidation failed', { key: txn.cacheKey, error: String(e) }),
    );
  deps.background(p);
}
