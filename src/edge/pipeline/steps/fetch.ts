/**
 * @module edge/pipeline/steps/fetch
 * Step `fetch`: a miss or an expired object. Concurrent misses for one cache key share one
 * fetch transaction (request collapsing, spec 7.11; fetch-table.ts); joiners are reported as
 * `Hit`. A joiner whose request selects another Vary variant, or whose leader got an
 * uncacheable answer (which may be personal), starts a fetch of its own instead. With several
 * workers, a miss another worker is fetching joins it too when that worker is writing the object
 * to the shared disk tier (its viewers read the file as it grows: edge/workers); otherwise it
 * waits for that fetch and then looks the key up again; still a miss then, it fetches alone.
 */
import { cloneHeaders } from '../../../shared/lambda-edge/index.js';
import type { PipelineDeps } from '../deps.js';
import type { StepName } from '../steps.js';
import type { FetchResult, RoutedTxn } from '../transaction.js';
import { ageOf, variantKey, viewerBodyOf } from '../cache-io.js';
import { runFetch } from '../fetch-table.js';
import { isCacheable, keyHeaders, newFetchTxn } from '../fetch-txn.js';
import { invalidateAfterUnsafe } from '../unsafe-invalidate.js';

export function fetchStep(txn: RoutedTxn, deps: PipelineDeps): Promise<StepName> {
  if (!isCacheable(txn) || txn.cacheKey === null) {
    return own(txn, deps, false).then((r) => {
      // Before the viewer hears back, so its next read cannot see the pre-write copy (RFC 9111 4.4).
      invalidateAfterUnsafe(txn, deps, r);
      return apply(txn, deps, r, false);
    });
  }
  // Looked up again after another worker's fetch and still a miss (not cacheable): fetch alone.
  if (txn.fetchedElsewhere) return own(txn, deps, true).then((r) => apply(txn, deps, r, false));
  const f = newFetchTxn(txn, deps, true, txn.staleEntry);
  return deps.coalescer
    .run(txn.cacheKey, () => runFetch(f, deps))
    .then(({ value, joined, elsewhere }) => {
      if (elsewhere) {
        txn.fetchedElsewhere = true;
        return 'lookup';
      }
      if (!joined) txn.functionsRan.push(...f.functionsRan);
      if (joined && !canShare(txn, deps, value)) return own(txn, deps, true).then((r) => apply(txn, deps, r, false));
      if (joined) deps.stats.collapsed.inc({ distribution: txn.dist.id });
      return apply(txn, deps, value, joined);
    });
}

/** A fetch of this viewer's own (not collapsed), whose function runs are this viewer's. */
function own(txn: RoutedTxn, deps: PipelineDeps, cacheable: boolean): Promise<FetchResult> {
  const f = newFetchTxn(txn, deps, cacheable, txn.staleEntry);
  return runFetch(f, deps).then((r) => {
    txn.functionsRan.push(...f.functionsRan);
    return r;
  });
}

/** A joiner may take the leader's response only if it was cacheable and is the same variant. */
function canShare(txn: RoutedTxn, deps: PipelineDeps, r: FetchResult): boolean {
  if (r.source === 'error' || r.source === 'stale-on-error') return true;
  if (!r.stored) return false;
  if (r.stored.vary.length === 0) return true;
  return variantKey(txn.cacheKey!, r.stored.vary, keyHeaders(txn, deps), txn.acceptEncoding) === r.stored.key;
}

function apply(txn: RoutedTxn, deps: PipelineDeps, r: FetchResult, joined: boolean): StepName {
  if (r.originLatencyMs !== undefined) txn.originLatencyMs = r.originLatencyMs;
  if (r.source === 'error') {
    txn.error = r.error!;
    if (r.errorClass) {
      txn.resultType = r.errorClass;
      txn.detailedResultType = r.errorClass;
    }
    return 'synth';
  }
  // Each viewer gets its own header map (later steps mutate it) and its own claim on a body in a
  // file or still arriving; a body buffer is shared.
  txn.response = { ...r.response, headers: cloneHeaders(r.response.headers), body: viewerBodyOf(r) };
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
