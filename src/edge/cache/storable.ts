/**
 * @module edge/cache/storable
 * Whether a response may be stored, and the CacheEntry built from it (spec 7.4 error caching,
 * RFC 9111 3 storage rules), plus RefreshHit: updating a stored entry from a 304 (RFC 9111
 * 4.3.4). The pipeline calls `entryFromResponse` after origin-response and `refreshEntry` when a
 * conditional request comes back 304.
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import { cloneHeaders, getHeader, getHeaderJoined, stripHopByHop } from '../../shared/lambda-edge/index.js';
import type { CacheEntry } from './types.js';
import { parseCacheControl, parseTags } from './cache-control.js';
import type { TtlDecision, TtlPolicy } from './freshness.js';
import { computeTtl, initialAgeSec } from './freshness.js';

/** Statuses cached by the TTL algorithm like a 200 (RFC 9111 3 with explicit or default freshness). */
const NORMAL_STATUSES = new Set([200, 203, 204, 300, 301, 302, 303, 307, 308]);
/** Spec 7.4: always cached, for max(ErrorCachingMinTTL, origin max-age capped by maxTTL). */
const ALWAYS_ERRORS = new Set([404, 414, 500, 501, 502, 503, 504]);
/** Spec 7.4: cached only when the origin sends max-age or s-maxage. 416 is never cached. */
const CONDITIONAL_ERRORS = new Set([400, 403, 405, 412, 415]);
/** Errors that no-store / no-cache / private keep out of the cache; others get the minimum TTL anyway. */
const ERRORS_HONOURING_NO_STORE = new Set([404, 410, 414, 501]);

/** CloudFront's default Error Caching Min TTL (spec 7.4), seconds. */
export const DEFAULT_ERROR_CACHING_MIN_TTL = 10;

/** Headers only the edge reads; removed before anything reaches a viewer (and before storing). */
export const EDGE_ONLY_HEADERS = ['surrogate-control', 'surrogate-key', 'cache-tag'] as const;

/**
 * Remove Surrogate-Control, Surrogate-Key and Cache-Tag. `CDN-Cache-Control` stays: RFC 9213 3
 * says CDNs typically forward it so that downstream CDN caches can use it too.
 */
export function stripEdgeOnlyHeaders(h: CfHeaders): void {
  for (const n of EDGE_ONLY_HEADERS) delete h[n];
}

export interface StoreInput {
  /** The cache key (from `buildCacheKey`). */
  key: string;
  distributionId: string;
  /** From `buildCacheKey`: the path plus the key's query, used by path invalidation. */
  invalidationPath: string;
  method: string;
  /** The request as sent to the origin (only `Authorization` is consulted, RFC 9111 3.5). */
  requestHeaders?: CfHeaders;
  status: number;
  statusText: string;
  headers: CfHeaders;
  /**
   * The whole body, or null for a body that is still arriving: it is then stored through the
   * store's `openWrite`, whose writer checks Content-Length as the bytes come.
   */
  body: Buffer | null;
  policy: TtlPolicy;
  /** The behavior's cached methods; OPTIONS is stored only when listed (spec 7.1). */
  cachedMethods?: ReadonlySet<string>;
  /** The distribution's ErrorCachingMinTTL for this status, seconds (default 10). */
  errorCachingMinTTL?: number;
  /** Epoch ms when the origin request was sent and when its response arrived (RFC 9111 4.2.3). */
  requestTime?: number;
  responseTime?: number;
  /** Shorthand when the two times are not tracked separately: both default to `now`. */
  now?: number;
  /** False when the body ended early (incomplete chunked body, spec 7.4). Default true. */
  bodyComplete?: boolean;
}

export type StoreDecision = { store: true; entry: CacheEntry } | { store: false; reason: string };

/** `entryFromResponse`, with the reason when the answer is no (for logs and tests). */
export function decideStore(raw: StoreInput): StoreDecision {
  const input = withTimes(raw);
  const no = (reason: string): StoreDecision => ({ store: false, reason });
  const m = input.method;
  // A HEAD response has no body, and GET and HEAD share one key: storing it would serve an empty
  // body to later GETs. The pipeline fetches a HEAD miss with GET if it wants to fill the cache.
  if (m !== 'GET' && !(m === 'OPTIONS' && input.cachedMethods?.has('OPTIONS'))) return no(`method ${m} is not cached`);
  if (input.policy.maxTTL <= 0) return no('caching disabled by the cache policy (maxTTL 0)');
  if (input.bodyComplete === false) return no('incomplete body');
  const cl = getHeader(input.headers, 'content-length');
  if (input.body !== null && cl !== undefined && input.status !== 204 && Number(cl.trim()) !== input.body.length) {
    return no(`Content-Length ${cl} does not match the ${input.body.length} bytes received`);
  }
  const ttl = computeTtl(input.headers, input.policy, input.responseTime);
  if (input.requestHeaders?.authorization !== undefined && !authorizedMayStore(input.headers, ttl)) {
    return no('request carried Authorization and the response is not public, s-maxage or must-revalidate');
  }
  const ttlSec = ttlForStatus(input, ttl);
  if (typeof ttlSec === 'string') return no(ttlSec);
  return { store: true, entry: buildEntry(input, ttl, ttlSec) };
}

type TimedInput = StoreInput & { requestTime: number; responseTime: number };

function withTimes(i: StoreInput): TimedInput {
  const responseTime = i.responseTime ?? i.now;
  if (responseTime === undefined) throw new TypeError('entryFromResponse needs responseTime or now');
  return { ...i, responseTime, requestTime: i.requestTime ?? responseTime };
}

/**
 * Build a storable entry from an origin (or origin-request-generated) response, or null when
 * the response must not be stored. The stored headers lose hop-by-hop fields, `Age` and the
 * edge-only fields.
 *
 * @example
 * const entry = entryFromResponse({ key, distributionId, invalidationPath, method: 'GET', status: 200,
 *   statusText: 'OK', headers, body, policy, requestTime: t0, responseTime: clock.now() });
 * if (entry) store.set(entry);
 */
export function entryFromResponse(input: StoreInput): CacheEntry | null {
  const d = decideStore(input);
  return d.store ? d.entry : null;
}

/** RFC 9111 3.5: a shared cache stores a response to an authorized request only if told it may. */
function authorizedMayStore(headers: CfHeaders, ttl: TtlDecision): boolean {
  const d = ttl.directives;
  if (d.has('public') || d.has('s-maxage') || d.has('must-revalidate')) return true;
  // Cache-Control still speaks for the request even when a targeted field chose the TTL.
  const cc = parseCacheControl(getHeaderJoined(headers, 'cache-control'));
  return cc.has('public') || cc.has('s-maxage') || cc.has('must-revalidate');
}

/** The TTL in seconds for this status, or the reason it is not stored. */
function ttlForStatus(input: StoreInput, ttl: TtlDecision): number | string {
  const { status, policy } = input;
  if (NORMAL_STATUSES.has(status)) {
    // With minTTL > 0 CloudFront keeps even no-store/private responses for minTTL (spec 7.4);
    // with minTTL 0 they are not cached. no-cache is stored with TTL 0: always revalidated.
    if ((ttl.noStore || ttl.isPrivate) && policy.minTTL <= 0) return ttl.noStore ? 'no-store' : 'private';
    return ttl.ttlSec;
  }
  return errorTtl(input, ttl);
}

/**
 * Error caching as the developer guide's "Control how long CloudFront caches errors" page states
 * it: the greater of the Error Caching Min TTL and the origin's max-age / s-maxage / Expires
 * (capped by the behavior's max TTL); no-store, no-cache or private stop caching only for 404,
 * 414 and 501, other errors keep the minimum TTL whatever they say. 400, 403, 405, 412 and 415
 * need max-age or s-maxage (spec 7.4). With the minimum TTL at 0 this is RFC 9111: an error
 * without explicit freshness is not stored (502, 503 and 504 are not heuristically cacheable,
 * 9111 4.2.2), and one whose Expires has passed is stale on arrival.
 */
function errorTtl(input: StoreInput, ttl: TtlDecision): number | string {
  const { status, policy } = input;
  const errMin = input.errorCachingMinTTL ?? DEFAULT_ERROR_CACHING_MIN_TTL;
  const always = ALWAYS_ERRORS.has(status);
  if (!always && !CONDITIONAL_ERRORS.has(status)) return `status ${status} is not cached`;
  if (!always && ttl.explicitMaxAge === undefined) return `error ${status} without max-age or s-maxage`;
  const forbidden = ttl.noStore ? 'no-store' : ttl.isPrivate ? 'private' : ttl.noCache ? 'no-cache' : undefined;
  if (forbidden !== undefined && ERRORS_HONOURING_NO_STORE.has(status)) return `error ${status} marked ${forbidden}`;
  const lifetime = forbidden !== undefined ? undefined : (ttl.explicitMaxAge ?? ttl.expiresSec);
  const sec = Math.max(errMin, lifetime === undefined ? 0 : Math.min(lifetime, policy.maxTTL));
  if (sec > 0) return sec;
  return lifetime === undefined
    ? `error ${status} without explicit freshness and an error caching TTL of 0`
    : `error ${status} is stale on arrival and the error caching TTL is 0`;
}

function buildEntry(input: TimedInput, ttl: TtlDecision, ttlSec: number): CacheEntry {
  const headers = cloneHeaders(input.headers);
  stripHopByHop(headers);
  stripEdgeOnlyHeaders(headers);
  delete headers.age;
  // RFC 9111 5.2.2.4: fields named by a qualified no-cache are not sent from the stored copy.
  for (const name of ttl.noCacheFields) delete headers[name];
  const isError = input.status >= 400;
  const entry: CacheEntry = {
    key: input.key,
    distributionId: input.distributionId,
    status: input.status,
    statusText: input.statusText,
    headers,
    body: input.body ?? Buffer.alloc(0),
    storedAt: input.responseTime,
    initialAgeSec: initialAgeSec(input.headers, input.requestTime, input.responseTime),
    ttlMs: ttlSec * 1000,
    // A stale error is never served in place of a fetch; whether it may stand in for a failed
    // one is `canServeStaleOnError`'s call (explicit stale-if-error, or an unreachable origin).
    staleWhileRevalidateMs: isError ? 0 : ttl.staleWhileRevalidateSec * 1000,
    staleIfErrorMs: ttl.staleIfErrorSec * 1000,
    tags: parseTags(getHeaderJoined(input.headers, 'surrogate-key'), getHeaderJoined(input.headers, 'cache-tag')),
    invalidationPath: input.invalidationPath,
    vary: parseVary(getHeaderJoined(input.headers, 'vary')),
    size: 0,
  };
  setValidators(entry);
  entry.size = estimateSize(entry);
  return entry;
}

function setValidators(entry: CacheEntry): void {
  const etag = getHeader(entry.headers, 'etag');
  const lm = getHeader(entry.headers, 'last-modified');
  if (etag !== undefined) entry.etag = etag;
  else delete entry.etag;
  if (lm !== undefined) entry.lastModified = lm;
  else delete entry.lastModified;
}

/** Lower-case field names from Vary; `*` alone if present anywhere (RFC 9110 12.5.5). */
export function parseVary(value: string | undefined): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const part of value.split(',')) {
    const n = part.trim().toLowerCase();
    if (n === '*') return ['*'];
    if (n !== '' && !out.includes(n)) out.push(n);
  }
  return out;
}

/** Bytes charged to the cache budget: body, key, header text, plus a fixed per-entry overhead. */
export function estimateSize(entry: CacheEntry): number {
  let n = (entry.body.length ?? 0) + entry.key.length * 2 + entry.invalidationPath.length * 2 + 256;
  for (const name of Object.keys(entry.headers)) {
    for (const e of entry.headers[name]!) n += name.length + e.value.length + 32;
  }
  for (const t of entry.tags) n += t.length * 2 + 16;
  return n;
}

/**
 * RFC 9111 3.2 excludes these from updates: Content-Length, fields the stored body depends on
 * (we may have compressed it; Content-MD5 is a digest of it), and hop-by-hop fields. Age is
 * recomputed, never stored. ETag is kept too: it names the stored representation, and a 304
 * whose ETag differs does not identify it for update (RFC 9111 4.3.4), so the stored one stays.
 */
const NOT_UPDATED = new Set([
  'content-length',
  'content-encoding',
  'content-range',
  'content-md5',
  'etag',
  'transfer-encoding',
  'age',
  'connection',
  'keep-alive',
]);

export interface RefreshOptions {
  /** The behavior's cache policy. Without it the entry keeps its previous TTL (the 304 restarts the clock). */
  policy?: TtlPolicy;
  /** When the conditional request was sent (RFC 9111 4.2.3); defaults to `now`. */
  requestTime?: number;
  errorCachingMinTTL?: number;
}

/**
 * RefreshHit: a 304 answered our conditional request. Returns a new entry with the stored
 * headers updated from the 304 (RFC 9111 4.3.4 and 3.2), a new response time and age, and the
 * TTL recomputed from the updated headers. The body is kept. A 304 that forbids storing still
 * yields an entry (with the TTL the algorithm gives, usually 0); the pipeline serves it once.
 */
export function refreshEntry(
  entry: CacheEntry,
  headers304: CfHeaders,
  now: number,
  opts: RefreshOptions = {},
): CacheEntry {
  const merged = cloneHeaders(entry.headers);
  for (const name of Object.keys(headers304)) {
    if (NOT_UPDATED.has(name)) continue;
    merged[name] = headers304[name]!.map((e) => ({ ...e }));
  }
  const keep = entry.ttlMs / 1000;
  const policy = opts.policy ?? { minTTL: keep, defaultTTL: keep, maxTTL: keep };
  const ttl = computeTtl(merged, policy, now);
  const input: TimedInput = {
    key: entry.key,
    distributionId: entry.distributionId,
    invalidationPath: entry.invalidationPath,
    method: 'GET',
    status: entry.status,
    statusText: entry.statusText,
    headers: merged,
    body: null,
    policy,
    requestTime: opts.requestTime ?? now,
    responseTime: now,
  };
  if (opts.errorCachingMinTTL !== undefined) input.errorCachingMinTTL = opts.errorCachingMinTTL;
  const ttlSec = ttlForStatus(input, ttl);
  // Age of the 304 itself determines the refreshed entry's initial age.
  const ageSource: CfHeaders = headers304.age === undefined ? merged : { ...merged, age: headers304.age };
  const next = buildEntry(input, ttl, typeof ttlSec === 'number' ? ttlSec : 0);
  next.body = entry.body;
  next.initialAgeSec = initialAgeSec(ageSource, input.requestTime, now);
  // Tags and edge-only fields from the 304 win; otherwise keep what the entry had.
  if (headers304['surrogate-key'] === undefined && headers304['cache-tag'] === undefined) next.tags = entry.tags;
  next.size = estimateSize(next);
  return next;
}
