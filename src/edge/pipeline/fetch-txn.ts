/**
 * @module edge/pipeline/fetch-txn
 * Shared helpers beside the transaction types (steps never import steps): what a viewer and a
 * fetch both need to know about a request (the headers its key is built from, whether its
 * answer may be cached) and how a FetchTxn is made from the viewer that starts it.
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { CacheEntry } from '../cache/types.js';
import type { OriginPlan } from '../config/plan.js';
import type { PipelineDeps } from './deps.js';
import type { FetchTxn, RoutedTxn } from './transaction.js';
import { cloudFrontHeadersFor, wantedCloudFrontHeaders } from './viewer-headers.js';
import { viewerKeyOf } from './canary-arm.js';

/** Headers the cache key and the origin request are built from: the viewer's plus CloudFront's. */
export function keyHeaders(txn: RoutedTxn, deps: PipelineDeps): CfHeaders {
  if (!wantedCloudFrontHeaders(txn.behavior)) return txn.request.headers;
  return { ...txn.request.headers, ...cloudFrontHeadersFor(txn, deps) };
}

/** GET and HEAD (and OPTIONS when configured) are cached, unless the policy caches nothing. */
export function isCacheable(txn: RoutedTxn): boolean {
  const b = txn.behavior;
  return b.cachedMethods.has(txn.request.method) && b.cachePolicy.maxTTL > 0;
}

/** Methods an origin group fails over (spec 7.7). */
const FAILOVER_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A fetch for `viewer`'s request: stored when `cacheable`, revalidating `stale` when given. It
 * copies what it needs, so a viewer that leaves (or a stale-while-revalidate refresh that has no
 * viewer waiting) does not change it.
 */
export function newFetchTxn(
  viewer: RoutedTxn,
  deps: PipelineDeps,
  cacheable: boolean,
  stale: CacheEntry | null,
): FetchTxn {
  const b = viewer.behavior;
  const targets: OriginPlan[] =
    b.target.kind === 'origin' ? [b.target.origin] : [b.target.group.primary, b.target.group.secondary];
  // A streamed viewer body can be sent once: the member that took it gives the answer.
  const failover =
    b.target.kind === 'group' && FAILOVER_METHODS.has(viewer.request.method) && !viewer.bodyStreams
      ? b.target.group.statusCodes
      : null;
  const headers = keyHeaders(viewer, deps); // computes the viewer's CloudFront-* headers once
  return {
    requestId: viewer.requestId,
    viewerKey: viewerKeyOf(viewer),
    dist: viewer.dist,
    behavior: b,
    request: viewer.request,
    keyHeaders: headers,
    cloudFrontHeaders: viewer.cloudFrontHeaders ?? {},
    viewerHttpVersion: viewer.conn.httpVersion,
    acceptEncoding: viewer.acceptEncoding,
    originOverride: viewer.originOverride,
    body: viewer.body,
    bodyStreams: viewer.bodyStreams,
    pendingBody: viewer.pendingBody,
    cacheKey: viewer.cacheKey,
    invalidationPath: viewer.invalidationPath,
    cacheable,
    staleEntry: cacheable ? stale : null,
    ...(viewer.interim ? { interim: viewer.interim } : {}),
    epoch: deps.fence?.epoch ?? 0,
    // A custom error page's fetch keeps its condition; a viewer's own (a hit, a redirect) do not apply.
    conditions: new Set(viewer.conditions.has('error-page-fetch') ? ['error-page-fetch'] : []),
    functionsRan: [],
    targets,
    attempt: 0,
    failoverStatuses: failover,
    originRequest: null,
    originBody: viewer.body,
    bodyReplaced: false,
    originFunction: null,
    originResponse: null,
    originError: null,
    response: null,
    source: 'origin',
    result: null,
  };
}

/** Whether the current member may hand the request to the next one. */
export function canFailOver(f: FetchTxn): boolean {
  return f.failoverStatuses !== null && f.attempt < f.targets.length - 1;
}

/** CloudFront Functions may point the request at another origin (spec 8.4). */
export function currentOrigin(f: FetchTxn): OriginPlan {
  const origin = f.targets[f.attempt]!;
  const o = f.originOverride;
  if (!o) return origin;
  const base = (o.originId && f.dist.origins.get(o.originId)) || origin;
  return {
    ...base,
    ...(o.domainName ? { domainName: o.domainName } : {}),
    ...(o.originPath !== undefined ? { originPath: o.originPath } : {}),
    ...(o.customHeaders ? { customHeaders: [...base.customHeaders, ...Object.entries(o.customHeaders)] } : {}),
  };
}

/** The response's timing fields, as a FetchResult carries them. */
export function timingOf(f: FetchTxn): { originLatencyMs?: number; originConnectMs?: number } {
  return {
    ...(f.originLatencyMs !== undefined ? { originLatencyMs: f.originLatencyMs } : {}),
    ...(f.originConnectMs !== undefined ? { originConnectMs: f.originConnectMs } : {}),
  };
}
