/**
 * @module edge/cache/key
 * The cache key (spec 7.2): distribution domain + path, the method for OPTIONS, and whatever the
 * cache policy adds (query strings, whitelisted headers, cookies, normalized Accept-Encoding).
 * Runs on every request: plain string scanning, no regex, per-policy lookup sets built once.
 *
 * Key layout (`\n` separates sections, `\u0001` separates items; neither can occur raw in a
 * path, header value or cookie):
 *   [OPTIONS ]<domain><path>[?<query>]\nh:<name>=<value>\u0001...\nc:<name>=<value>...\ne:<encoding>
 *
 * Query parameters (and cookies) are sorted by name, stable for repeated names, so `?a=1&b=2`
 * and `?b=2&a=1` share a key. This is a deliberate divergence: CloudFront keys on the order
 * received (its guide tells users to keep parameter order consistent and publishes a
 * CloudFront Function that sorts them to raise the hit ratio). Sorting only merges entries that
 * any sane origin answers identically; the origin still receives the viewer's order.
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { CachePolicyPlan, ListPolicy } from '../config/plan.js';

export interface CacheKeyInput {
  /** The distribution's domain (not the viewer's Host, spec 11 item 9). */
  domainName: string;
  method: string;
  uri: string;
  /** Raw query string without `?` ('' for none). */
  querystring: string;
  headers: CfHeaders;
  policy: CachePolicyPlan;
}

export interface CacheKey {
  key: string;
  /** Normalized Accept-Encoding for the origin (`br,gzip`, `gzip`, `br`, `identity`), or undefined when the flags are off. */
  acceptEncoding: string | undefined;
  /** The query the cache policy forwards (original order): all, or the filtered list; undefined for `none`. */
  queryForOrigin?: string;
  /** Path plus the key's query (`/a.jpg?x=1`): what path invalidation matches (spec 7.6). */
  invalidationPath: string;
}

const SEP = '\u0001';

/** Lookup sets per policy list, built once (policies are immutable and live as long as the plan). */
const setCache = new WeakMap<ListPolicy, ReadonlySet<string>>();
function itemSet(p: ListPolicy): ReadonlySet<string> {
  let s = setCache.get(p);
  if (s === undefined) {
    s = new Set(p.items);
    setCache.set(p, s);
  }
  return s;
}

function included(p: ListPolicy, name: string): boolean {
  switch (p.behavior) {
    case 'none':
      return false;
    case 'all':
      return true;
    case 'whitelist':
      return itemSet(p).has(name);
    case 'allExcept':
      return !itemSet(p).has(name);
  }
}

/**
 * Build the cache key for a request.
 *
 * @example
 * buildCacheKey({ domainName: 'd1.verge.local', method: 'GET', uri: '/a.jpg', querystring: 'b=2&a=1',
 *   headers, policy }).key // 'd1.verge.local/a.jpg?a=1&b=2' with queryStrings 'all'
 */
export function buildCacheKey(input: CacheKeyInput): CacheKey {
  const { policy, headers } = input;
  let base = input.method === 'OPTIONS' ? 'OPTIONS ' + input.domainName + input.uri : input.domainName + input.uri;
  let invalidationPath = input.uri;
  let queryForOrigin: string | undefined;
  if (policy.queryStrings.behavior !== 'none') {
    const q = selectQuery(input.querystring, policy.queryStrings);
    queryForOrigin = q.forOrigin;
    if (q.forKey !== '') {
      base += '?' + q.forKey;
      invalidationPath += '?' + q.forKey;
    }
  }
  let key = base;
  const compress = policy.enableAcceptEncodingGzip || policy.enableAcceptEncodingBrotli;
  if (policy.headers.behavior === 'whitelist' && policy.headers.items.length > 0) {
    key += headerSection(headers, policy.headers.items, compress);
  }
  if (policy.cookies.behavior !== 'none') key += cookieSection(headers, policy.cookies);
  let acceptEncoding: string | undefined;
  if (compress) {
    acceptEncoding = normalizeAcceptEncoding(
      headers,
      policy.enableAcceptEncodingGzip,
      policy.enableAcceptEncodingBrotli,
    );
    if (acceptEncoding !== 'identity') key += '\ne:' + acceptEncoding;
  }
  const out: CacheKey = { key, acceptEncoding, invalidationPath };
  if (queryForOrigin !== undefined) out.queryForOrigin = queryForOrigin;
  return out;
}

/** Split `a=1&b&c=3` into [name, raw pair] items, skipping empty segments. */
function splitQuery(qs: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  while (i <= qs.length) {
    let j = qs.indexOf('&', i);
    if (j < 0) j = qs.length;
    if (j > i) {
      const pair = qs.slice(i, j);
      const eq = pair.indexOf('=');
      out.push([eq < 0 ? pair : pair.slice(0, eq), pair]);
    }
    i = j + 1;
  }
  return out;
}

/** Query parameters in the key (sorted by name, stable) and for the origin (viewer order). */
export function selectQuery(qs: string, p: ListPolicy): { forKey: string; forOrigin: string } {
  if (qs === '') return { forKey: '', forOrigin: '' };
  const pairs = splitQuery(qs);
  const kept = p.behavior === 'all' ? pairs : pairs.filter(([name]) => included(p, name));
  const forOrigin = p.behavior === 'all' ? qs : kept.map((x) => x[1]).join('&');
  if (kept.length <= 1) return { forKey: kept.length === 1 ? kept[0]![1] : '', forOrigin };
  // Array.prototype.sort is stable, so repeated names keep their relative order (?a=2&a=1 ≠ ?a=1&a=2).
  const sorted = kept.slice().sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return { forKey: sorted.map((x) => x[1]).join('&'), forOrigin };
}

function headerSection(headers: CfHeaders, names: readonly string[], compress: boolean): string {
  let s = '\nh:';
  for (const name of names) {
    // With compressed caching on, Accept-Encoding enters the key only in normalized form (spec 7.2).
    if (compress && name === 'accept-encoding') continue;
    const list = headers[name];
    if (list === undefined || list.length === 0) continue;
    s += name + '=' + (list.length === 1 ? list[0]!.value : list.map((e) => e.value).join(',')) + SEP;
  }
  return s;
}

/** Cookies from every Cookie line, filtered by the policy, sorted by name (stable). */
function cookieSection(headers: CfHeaders, p: ListPolicy): string {
  const lines = headers.cookie;
  if (lines === undefined || lines.length === 0) return '';
  const kept: Array<[string, string]> = [];
  for (const line of lines) {
    for (const part of line.value.split(';')) {
      const pair = part.trim();
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq).trim();
      if (included(p, name)) kept.push([name, eq < 0 ? '' : pair.slice(eq + 1).trim()]);
    }
  }
  if (kept.length === 0) return '';
  if (kept.length > 1) kept.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  let s = '\nc:';
  for (const [n, v] of kept) s += n + '=' + v + SEP;
  return s;
}

/**
 * Spec 7.2's Accept-Encoding table. Codings are compared case-insensitively, parameters other
 * than q are ignored, and a coding with `q=0` counts as refused (RFC 9110 12.5.3); other codings
 * (deflate, zstd) are dropped. Returns `identity` when neither gzip nor br may be used.
 */
export function normalizeAcceptEncoding(headers: CfHeaders, gzipOn: boolean, brOn: boolean): string {
  const list = headers['accept-encoding'];
  if (list === undefined) return 'identity';
  let gzip = false;
  let br = false;
  for (const line of list) {
    for (const part of line.value.split(',')) {
      const semi = part.indexOf(';');
      const coding = (semi < 0 ? part : part.slice(0, semi)).trim().toLowerCase();
      if (coding !== 'gzip' && coding !== 'br') continue;
      if (semi >= 0 && qIsZero(part.slice(semi + 1))) continue;
      if (coding === 'gzip') gzip = true;
      else br = true;
    }
  }
  const useBr = brOn && br;
  const useGzip = gzipOn && gzip;
  if (useBr && useGzip) return 'br,gzip';
  if (useBr) return 'br';
  if (useGzip) return 'gzip';
  return 'identity';
}

function qIsZero(params: string): boolean {
  for (const p of params.split(';')) {
    const t = p.trim().toLowerCase();
    if (t.startsWith('q=')) return Number(t.slice(2)) === 0;
  }
  return false;
}
