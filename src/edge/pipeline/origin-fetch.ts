/**
 * @module edge/pipeline/origin-fetch
 * One fetch transaction: origin-request function, the origin (or each member of an origin
 * group, failing over as spec 7.7 says), origin-response function, compression and storing.
 * It runs once per collapsed group of viewers. Revalidation (RefreshHit) and stale-if-error
 * are decided here because they depend on what the origin answered.
 */
import { toVergeError } from '../../shared/errors.js';
import { getHeaderJoined, setHeader, type CfRequest } from '../../shared/lambda-edge/index.js';
import {
  SURROGATE_CAPABILITY,
  canServeStaleOnError,
  conditionalHeaders,
  entryFromResponse,
  refreshEntry,
} from '../cache/index.js';
import type { CacheEntry } from '../cache/types.js';
import type { OriginPlan } from '../config/plan.js';
import {
  buildOriginRequest,
  cloudFrontHeaderForwarded,
  toOriginRequest,
  viewerHeaderForwarded,
} from '../origin/index.js';
import type { OriginResponse } from '../origin/types.js';
import { applyCompressionHeaders, chooseEncoding, compress } from '../compress/index.js';
import type { PipelineDeps } from './deps.js';
import type { EdgeResponse, FetchResult, ViewerTxn } from './transaction.js';
import { responseFromEntry, storeEntry } from './cache-io.js';
import { runOriginRequestHook, runOriginResponseHook } from './origin-hooks.js';
import { keyHeaders } from './steps/lookup.js';

const FAILOVER_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function fetchFromOrigins(txn: ViewerTxn, deps: PipelineDeps, cacheable: boolean): Promise<FetchResult> {
  const b = txn.behavior!;
  const targets: OriginPlan[] =
    b.target.kind === 'origin' ? [b.target.origin] : [b.target.group.primary, b.target.group.secondary];
  const failover =
    b.target.kind === 'group' && FAILOVER_METHODS.has(txn.request.method) ? b.target.group.statusCodes : null;
  let last: FetchResult | null = null;
  for (let i = 0; i < targets.length; i++) {
    // A streamed viewer body can be sent once: the member that took it gives the answer.
    const canFailOver = failover !== null && i < targets.length - 1 && !txn.bodyStreams;
    const r = await fetchOne(txn, deps, overridden(txn, targets[i]!), cacheable);
    if (canFailOver && (r.source === 'error' ? r.error?.code.startsWith('ORIGIN_') : failover.has(r.response.status))) {
      last = r;
      continue;
    }
    return r;
  }
  return last!;
}

/** CloudFront Functions may point the request at another origin (spec 8.4). */
function overridden(txn: ViewerTxn, origin: OriginPlan): OriginPlan {
  const o = txn.originOverride;
  if (!o) return origin;
  const base = (o.originId && txn.dist!.origins.get(o.originId)) || origin;
  return {
    ...base,
    ...(o.domainName ? { domainName: o.domainName } : {}),
    ...(o.originPath !== undefined ? { originPath: o.originPath } : {}),
    ...(o.customHeaders ? { customHeaders: [...base.customHeaders, ...Object.entries(o.customHeaders)] } : {}),
  };
}

async function fetchOne(
  txn: ViewerTxn,
  deps: PipelineDeps,
  origin: OriginPlan,
  cacheable: boolean,
): Promise<FetchResult> {
  const b = txn.behavior!;
  const now = () => deps.clock.now();
  const epoch = deps.fence?.epoch ?? 0;
  let cfReq: CfRequest = buildOriginRequest({
    viewer: { ...txn.request, headers: keyHeaders(txn, deps) },
    cachePolicy: b.cachePolicy,
    originRequestPolicy: b.originRequestPolicy,
    origin,
    acceptEncoding: txn.acceptEncoding,
    cloudFrontHeaders: txn.cloudFrontHeaders ?? {},
    viewerHttpVersion: txn.conn.httpVersion,
    viaToken: deps.viaToken,
  });
  let body = txn.body;

  const pre = await runOriginRequestHook(txn, deps, cfReq, body);
  if (pre.kind === 'error') return pre.result;
  if (pre.kind === 'response') {
    const stored = cacheable ? store(txn, deps, pre.response, now(), epoch) : null;
    return { response: pre.response, source: 'generated-at-origin-request', stored };
  }
  cfReq = pre.request;
  body = pre.body;
  // The viewer's body streams through unless a function replaced it (issue 12).
  const streamed =
    txn.bodyStreams && !pre.replaced && txn.pendingBody
      ? { stream: txn.pendingBody.stream(), length: txn.pendingBody.declaredLength }
      : undefined;

  const { origin: target, req } = toOriginRequest(cfReq, streamed ?? body, origin);
  // A cacheable HEAD fetches the whole object so the entry can also answer GETs.
  if (cacheable && req.method === 'HEAD') req.method = 'GET';
  const stale = cacheable ? txn.staleEntry : null;
  if (stale) addValidators(req.headers, stale);
  announceSurrogate(req.headers);

  let res: OriginResponse;
  const started = deps.clock.monotonic();
  try {
    res = await deps.origins.fetch(target, req);
  } catch (e) {
    const err = toVergeError(e);
    deps.stats.originFetches.inc({ distribution: txn.dist!.id, origin: target.id, outcome: err.code });
    if (stale && canServeStaleOnError(stale, now())) return staleResult(stale);
    return { response: emptyResponse(), source: 'error', stored: null, error: err };
  }
  const latency = deps.clock.monotonic() - started;
  deps.stats.originFetches.inc({ distribution: txn.dist!.id, origin: target.id, outcome: String(res.status) });
  deps.stats.originLatency.observe(latency);
  const timing = {
    originLatencyMs: latency,
    ...(res.timings.connectMs !== undefined ? { originConnectMs: res.timings.connectMs } : {}),
  };

  if (stale && res.status === 304) {
    const refreshed = refreshEntry(stale, res.headers, now(), { policy: b.cachePolicy });
    if (!deps.fence?.invalidatedSince(epoch, refreshed)) deps.cache.set(refreshed);
    return { response: responseFromEntry(refreshed), source: 'refresh', stored: refreshed, ...timing };
  }
  if (stale && res.status >= 500 && canServeStaleOnError(stale, now(), 'error-status'))
    return { ...staleResult(stale), ...timing };

  const post = await runOriginResponseHook(txn, deps, cfReq, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
    body: res.body,
  });
  if (post.kind === 'error') return { ...post.result, ...timing };
  filterVary(txn, post.response);
  const response = await maybeCompress(txn, post.response);
  const stored = cacheable ? store(txn, deps, response, now(), epoch) : null;
  return { response, source: 'origin', stored, ...timing };
}

/** Validators of the stale copy (RFC 9111 4.3.1); none for a `Vary: *` object (spec 7.4). */
function addValidators(headers: CfRequest['headers'], e: CacheEntry): void {
  for (const [name, list] of Object.entries(conditionalHeaders(e))) setHeader(headers, name, list[0]!.value);
}

/**
 * Edge Architecture Specification 1.0 section 3: a surrogate appends its capabilities to
 * `Surrogate-Capability`, so the origin can target `Surrogate-Control` at it (`;verge`).
 * Added after origin-request: functions see the request CloudFront would send.
 */
function announceSurrogate(headers: CfRequest['headers']): void {
  const prev = getHeaderJoined(headers, 'surrogate-capability');
  setHeader(headers, 'surrogate-capability', prev ? `${prev}, ${SURROGATE_CAPABILITY}` : SURROGATE_CAPABILITY);
}

const DEVICE_HEADERS = [
  'cloudfront-is-desktop-viewer',
  'cloudfront-is-mobile-viewer',
  'cloudfront-is-tablet-viewer',
  'cloudfront-is-smarttv-viewer',
];

/**
 * Spec 7.10: Vary keeps only Accept-Encoding, Cookie, the header names forwarded to the origin,
 * and User-Agent when device headers are forwarded; `*` stays (7.4). The origin cannot have
 * varied on a header it never got, so keeping such a name would only split the cache.
 */
function filterVary(txn: ViewerTxn, r: EdgeResponse): void {
  const list = r.headers['vary'];
  if (!list) return;
  const { cachePolicy: cp, originRequestPolicy: orp } = txn.behavior!;
  const keep = (n: string): boolean =>
    n === '*' ||
    n === 'accept-encoding' ||
    n === 'cookie' ||
    (n.startsWith('cloudfront-') ? cloudFrontHeaderForwarded(n, cp, orp) : viewerHeaderForwarded(n, cp, orp)) ||
    (n === 'user-agent' && DEVICE_HEADERS.some((d) => cloudFrontHeaderForwarded(d, cp, orp)));
  const names = list
    .flatMap((e) => e.value.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '' && keep(v.toLowerCase()));
  if (names.length === 0) delete r.headers['vary'];
  else r.headers['vary'] = [{ key: list[0]!.key ?? 'Vary', value: names.join(', ') }];
}

function staleResult(stale: CacheEntry): FetchResult {
  return { response: responseFromEntry(stale), source: 'stale-on-error', stored: stale };
}

function emptyResponse(): EdgeResponse {
  return { status: 0, statusText: '', headers: {}, body: Buffer.alloc(0) };
}

/** Edge compression (spec 7.5), done before storing so hits never compress again. */
async function maybeCompress(txn: ViewerTxn, r: EdgeResponse): Promise<EdgeResponse> {
  const enc = chooseEncoding({
    acceptEncoding: txn.acceptEncoding,
    httpVersion: txn.conn.httpVersion,
    status: r.status,
    headers: r.headers,
    bodyLength: r.body.length,
    compressEnabled: txn.behavior!.compress,
  });
  if (!enc) return r;
  const body = await compress(r.body, enc);
  applyCompressionHeaders(r.headers, enc, body.length);
  return { ...r, body };
}

function store(txn: ViewerTxn, deps: PipelineDeps, r: EdgeResponse, now: number, epoch: number): CacheEntry | null {
  const dist = txn.dist!;
  const entry = entryFromResponse({
    key: txn.cacheKey!,
    distributionId: dist.id,
    // A cacheable HEAD was fetched with GET (see fetchOne), so the entry is a GET response.
    method: txn.request.method === 'HEAD' ? 'GET' : txn.request.method,
    cachedMethods: txn.behavior!.cachedMethods,
    requestHeaders: txn.request.headers,
    status: r.status,
    statusText: r.statusText,
    headers: r.headers,
    body: r.body,
    policy: txn.behavior!.cachePolicy,
    errorCachingMinTTL: dist.customErrorResponses.get(r.status)?.errorCachingMinTTL ?? 10,
    invalidationPath: txn.invalidationPath,
    now,
  });
  if (!entry) return null;
  const stored = storeEntry(deps.cache, entry, keyHeaders(txn, deps), txn.acceptEncoding);
  // Invalidated while this fetch was in flight: serve it to the waiting viewers, keep nothing.
  if (deps.fence?.invalidatedSince(epoch, stored)) deps.cache.delete(stored.key);
  return stored;
}
