/**
 * @module edge/cache/freshness
 * CloudFront's TTL algorithm (spec 7.4) on top of RFC 9111: which edge directives are in force
 * (Surrogate-Control, then CDN-Cache-Control per RFC 9213, then Cache-Control + Expires), the
 * freshness lifetime clamped by the cache policy, the stale windows, and age (RFC 9111 4.2.3).
 * Storability and entry construction live in `storable.ts`; both are pure functions of their
 * inputs and a time, so tests run on fake time.
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import { getHeaderJoined } from '../../shared/lambda-edge/index.js';
import { parseHttpDate } from '../../shared/http-date.js';
import type { CacheEntry, Freshness } from './types.js';
import type { Directives } from './cache-control.js';
import {
  DELTA_SECONDS_MAX,
  deltaSeconds,
  parseCacheControl,
  parseSurrogateControl,
  parseTargetedField,
} from './cache-control.js';

/** The three numbers of a cache policy that drive freshness, in seconds (CachePolicyPlan fits). */
export interface TtlPolicy {
  minTTL: number;
  defaultTTL: number;
  maxTTL: number;
}

/** Which field decided the edge's caching policy. */
export type TtlSource = 'surrogate-control' | 'cdn-cache-control' | 'cache-control' | 'expires' | 'default';

export interface EdgeDirectives {
  /** The directives in force for this cache (the selected field's). */
  directives: Directives;
  source: 'surrogate-control' | 'cdn-cache-control' | 'cache-control';
  /** Whether `Expires` may be consulted (not when a targeted field was selected, RFC 9213 2.1). */
  expiresApplies: boolean;
}

/**
 * Select the field that controls this cache. Our target list is `[Surrogate-Control,
 * CDN-Cache-Control]` (Fastly's order: the private, stripped field is the most specific). When a
 * member is present and valid, `Cache-Control` and `Expires` are ignored (RFC 9213 2.1).
 */
export function edgeDirectives(headers: CfHeaders): EdgeDirectives {
  const sc = parseSurrogateControl(getHeaderJoined(headers, 'surrogate-control'));
  if (sc !== undefined) return { directives: sc, source: 'surrogate-control', expiresApplies: false };
  const cdn = parseTargetedField(getHeaderJoined(headers, 'cdn-cache-control'));
  if (cdn !== undefined) return { directives: cdn, source: 'cdn-cache-control', expiresApplies: false };
  return {
    directives: parseCacheControl(getHeaderJoined(headers, 'cache-control')),
    source: 'cache-control',
    expiresApplies: true,
  };
}

export interface TtlDecision {
  /** Freshness lifetime in seconds after CloudFront's clamping (spec 7.4). */
  ttlSec: number;
  staleWhileRevalidateSec: number;
  /** Infinity when no `stale-if-error` is given: CloudFront serves stale when the origin fails. */
  staleIfErrorSec: number;
  source: TtlSource;
  directives: Directives;
  noStore: boolean;
  /** `private` (qualified or not: a shared cache treats both conservatively). */
  isPrivate: boolean;
  /** Unqualified `no-cache` only; a qualified one is `noCacheFields` (RFC 9111 5.2.2.4). */
  noCache: boolean;
  /** Lower-case field names of a qualified `no-cache="a, b"`: dropped from the stored copy. */
  noCacheFields: string[];
  /** `s-maxage` if given, else `max-age`, as the origin sent it (unclamped). */
  explicitMaxAge: number | undefined;
  /** Expires − Date in seconds when Expires applies (0 when invalid), unclamped; else undefined. */
  expiresSec: number | undefined;
}

/**
 * CloudFront's TTL for a response (spec 7.4):
 * no-cache | no-store | private → minTTL; else s-maxage, else max-age, else Expires − Date, each
 * clamped to [minTTL, maxTTL]; else max(defaultTTL, minTTL).
 *
 * @example computeTtl({ 'cache-control': [{ value: 's-maxage=10, max-age=60' }] }, policy, now).ttlSec // 10
 */
export function computeTtl(headers: CfHeaders, policy: TtlPolicy, responseTime: number): TtlDecision {
  const sel = edgeDirectives(headers);
  const d = sel.directives;
  const noStore = d.has('no-store');
  const isPrivate = d.has('private');
  const noCacheValue = d.get('no-cache');
  // RFC 9111 5.2.2.4: `no-cache="a, b"` lets the cache reuse the response without those fields.
  // A conflicting duplicate (value '') stays unqualified: the conservative reading.
  const noCacheFields = typeof noCacheValue === 'string' ? fieldList(noCacheValue) : [];
  const noCache = noCacheValue !== undefined && noCacheFields.length === 0;
  const sMaxAge = deltaSeconds(d, 's-maxage');
  const maxAge = deltaSeconds(d, 'max-age');
  const explicitMaxAge = sMaxAge ?? maxAge;
  const expiresSec =
    sel.expiresApplies && headers['expires']?.length ? expiresLifetimeSec(headers, responseTime) : undefined;
  const clamp = (v: number): number => Math.min(Math.max(v, policy.minTTL), policy.maxTTL);
  let ttlSec: number;
  let source: TtlSource = sel.source;
  if (noStore || isPrivate || noCache) ttlSec = policy.minTTL;
  else if (explicitMaxAge !== undefined) ttlSec = clamp(explicitMaxAge);
  else {
    if (expiresSec !== undefined) {
      source = 'expires';
      ttlSec = clamp(expiresSec);
    } else {
      source = sel.source === 'cache-control' ? 'default' : sel.source;
      ttlSec = Math.max(policy.defaultTTL, policy.minTTL);
    }
  }
  // must-revalidate / proxy-revalidate forbid serving stale in any form (RFC 9111 5.2.2.2, 5.2.2.8).
  const revalidate = d.has('must-revalidate') || d.has('proxy-revalidate');
  return {
    ttlSec,
    staleWhileRevalidateSec: revalidate ? 0 : (deltaSeconds(d, 'stale-while-revalidate') ?? 0),
    staleIfErrorSec: revalidate
      ? 0
      : (deltaSeconds(d, 'stale-if-error') ?? defaultStaleIfError(noCache, sMaxAge, policy)),
    source,
    directives: d,
    noStore,
    isPrivate,
    noCache,
    noCacheFields,
    explicitMaxAge,
    expiresSec,
  };
}

/**
 * The stale-if-error window when the response names none. CloudFront serves the stored copy when
 * the origin fails (spec 7.4), hence unlimited, except where RFC 9111 forbids stale and the spec
 * does not say otherwise: `s-maxage` carries proxy-revalidate's meaning for a shared cache
 * (5.2.2.10), and `no-cache` needs a successful validation before any reuse (5.2.2.4). Spec 7.4
 * keeps serving a no-cache copy stored for minTTL > 0, so that case stays unlimited. An explicit
 * `stale-if-error` still applies (RFC 5861 4: "regardless of other freshness information").
 */
function defaultStaleIfError(noCache: boolean, sMaxAge: number | undefined, policy: TtlPolicy): number {
  if (sMaxAge !== undefined) return 0;
  if (noCache && policy.minTTL <= 0) return 0;
  return Infinity;
}

/** Lower-case field names from a comma-separated list (a qualified no-cache or private). */
function fieldList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const n = part.trim().toLowerCase();
    if (n !== '' && !out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * RFC 9111 4.2.1: lifetime = Expires − Date (Date defaults to the response time). An Expires
 * that is not one valid HTTP-date (including "0", another zone, a second field line) means
 * already expired (RFC 9111 5.3).
 */
function expiresLifetimeSec(headers: CfHeaders, responseTime: number): number {
  const lines = headers['expires']!;
  const exp = lines.length === 1 ? parseHttpDate(lines[0]!.value, responseTime) : undefined;
  if (exp === undefined) return 0;
  const base = dateValue(headers, responseTime) ?? responseTime;
  return Math.max(0, Math.floor((exp - base) / 1000));
}

/** The origin's `Date` (epoch ms), or undefined when absent, invalid or repeated (a singleton field). */
function dateValue(headers: CfHeaders, responseTime: number): number | undefined {
  const lines = headers['date'];
  return lines?.length === 1 ? parseHttpDate(lines[0]!.value, responseTime) : undefined;
}

/**
 * Corrected initial age in seconds (RFC 9111 4.2.3): max(apparent_age, age_value +
 * response_delay), where apparent_age = max(0, response_time − date_value).
 */
export function initialAgeSec(headers: CfHeaders, requestTime: number, responseTime: number): number {
  const ageValue = ageFieldSec(headers);
  const date = dateValue(headers, responseTime);
  const apparent = date === undefined ? 0 : Math.max(0, responseTime - date) / 1000;
  const delay = Math.max(0, responseTime - requestTime) / 1000;
  return Math.max(apparent, ageValue + delay);
}

/**
 * The origin's `Age` in seconds (RFC 9111 5.1): the first member of the first field line counts
 * (a cache "SHOULD use the first member of the field value, discarding subsequent ones"), so
 * `Age: 0, 7200` is 0 and two lines `7200` / `0` are 7200. A value that is not a non-negative
 * integer (a sign, a fraction, a parameter, letters) is ignored: 0, as if absent. Values past
 * 2^31 are 2^31 (RFC 9111 1.2.2).
 */
export function ageFieldSec(headers: CfHeaders): number {
  const first = headers['age']?.[0]?.value;
  if (first === undefined) return 0;
  const comma = first.indexOf(',');
  const v = (comma < 0 ? first : first.slice(0, comma)).trim();
  if (v === '') return 0;
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c < 48 || c > 57) return 0;
  }
  return Math.min(Number(v), DELTA_SECONDS_MAX);
}

/** current_age in milliseconds (RFC 9111 4.2.3): corrected initial age + resident time. */
export function currentAgeMs(entry: CacheEntry, now: number): number {
  return entry.initialAgeSec * 1000 + Math.max(0, now - entry.storedAt);
}

/** The `Age` value to send on a hit: whole seconds (RFC 9111 5.1). */
export function ageHeaderValue(entry: CacheEntry, now: number): string {
  return String(Math.floor(currentAgeMs(entry, now) / 1000));
}

/** False for entries stored with `Vary: *`: they never satisfy a later request (RFC 9111 4.1). */
export function isReusable(entry: CacheEntry): boolean {
  return !entry.vary.includes('*');
}

/**
 * Freshness at `now` (RFC 9111 4.2; RFC 5861 3 for the stale-while-revalidate window).
 * A `Vary: *` entry is always 'stale' and must not be used without going to the origin.
 */
export function freshnessOf(entry: CacheEntry, now: number): Freshness {
  if (!isReusable(entry)) return 'stale';
  const age = currentAgeMs(entry, now);
  if (age < entry.ttlMs) return 'fresh';
  if (age < entry.ttlMs + entry.staleWhileRevalidateMs) return 'stale-while-revalidate';
  return 'stale';
}

/** How the origin failed: no usable answer at all, or an answer with a 5xx status. */
export type OriginFailure = 'unreachable' | 'error-status';

/**
 * Whether a stale entry may answer when the origin fails (RFC 5861 4; spec 7.4: CloudFront serves
 * the stored copy unless `stale-if-error` limits it or must-revalidate forbids it). A stored
 * error response (4xx/5xx) stands in for a 5xx answer only under the origin's explicit
 * `stale-if-error`: RFC 9111 4.2.4 lets a cache serve stale only when disconnected or explicitly
 * permitted, and an error the origin answered is no better than the one it is answering now.
 */
export function canServeStaleOnError(entry: CacheEntry, now: number, failure: OriginFailure = 'unreachable'): boolean {
  if (failure === 'error-status' && entry.status >= 400 && !Number.isFinite(entry.staleIfErrorMs)) return false;
  return currentAgeMs(entry, now) < entry.ttlMs + entry.staleIfErrorMs;
}

/**
 * Validators for revalidating a stale entry (RFC 9111 4.3.1): If-None-Match from the ETag,
 * If-Modified-Since from Last-Modified. None for `Vary: *` entries (spec 7.4: those go to the
 * origin without conditional headers).
 */
export function conditionalHeaders(entry: CacheEntry): CfHeaders {
  const out: CfHeaders = {};
  if (!isReusable(entry)) return out;
  if (entry.etag !== undefined) out['if-none-match'] = [{ key: 'If-None-Match', value: entry.etag }];
  if (entry.lastModified !== undefined)
    out['if-modified-since'] = [{ key: 'If-Modified-Since', value: entry.lastModified }];
  return out;
}
