/**
 * @module edge/pipeline/steps/lookup
 * Step `lookup`: compute the cache key from the (possibly rewritten) request and the cache
 * policy (spec 7.2), then serve a fresh object, serve a stale one while revalidating in the
 * background (`stale-while-revalidate`), or go to `fetch` keeping the stale copy for
 * revalidation and `stale-if-error`.
 */
import { buildCacheKey, freshnessOf } from '../../cache/index.js';
import type { CacheEntry } from '../../cache/types.js';
import type { PipelineDeps } from '../deps.js';
import type { StepName } from '../steps.js';
import type { RoutedTxn } from '../transaction.js';
import { ageOf, isBusy, lookupAsync, lookupSync, responseFromEntry } from '../cache-io.js';
import { discardBody } from '../../body/index.js';
import { runFetch } from '../fetch-table.js';
import { isCacheable, keyHeaders, newFetchTxn } from '../fetch-txn.js';

export function lookup(txn: RoutedTxn, deps: PipelineDeps): StepName | Promise<StepName> {
  const headers = keyHeaders(txn, deps);
  const k = buildCacheKey({
    domainName: txn.dist.domainName,
    method: txn.request.method,
    uri: txn.request.uri,
    querystring: txn.request.querystring,
    headers,
    policy: txn.behavior.cachePolicy,
  });
  txn.cacheKey = k.key;
  txn.invalidationPath = k.invalidationPath;
  txn.acceptEncoding = k.acceptEncoding;
  if (!isCacheable(txn)) return 'fetch';
  const hit = lookupSync(deps.cache, k.key, txn, headers);
  if (hit !== undefined) return decide(txn, deps, hit);
  return lookupAsync(deps.cache, k.key, txn, headers).then((e) => decide(txn, deps, e));
}

function decide(txn: RoutedTxn, deps: PipelineDeps, entry: CacheEntry | null): StepName {
  if (!entry) return 'fetch';
  const now = deps.clock.now();
  // An object still arriving is served as it arrives (from byte 0, following the fetch), whatever
  // its TTL: it is the origin's answer of this moment (Varnish's streaming busy object).
  const state = isBusy(entry) ? 'fresh' : freshnessOf(entry, now);
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

/**
 * `stale-while-revalidate` (RFC 5861): start a fetch that refreshes the entry, collapsed with any
 * other fetch of the key, while this viewer is served the stale copy without waiting.
 */
function revalidateInBackground(txn: RoutedTxn, deps: PipelineDeps, entry: CacheEntry): void {
  // The viewer is answered from the stale copy at once: no interim response of this fetch is its.
  const f = { ...newFetchTxn(txn, deps, true, entry), interim: undefined, background: true };
  const p = deps.coalescer
    .run(txn.cacheKey!, () => runFetch(f, deps))
    // Nobody reads an answer this refresh streamed through without storing it: let it go.
    .then(({ value, joined }) => (joined ? undefined : discardBody(value.response.body)))
    .catch((e: unknown) =>
      deps.logger.log('warn', 'background revalidation failed', { key: txn.cacheKey, error: String(e) }),
    );
  deps.background(p);
}
