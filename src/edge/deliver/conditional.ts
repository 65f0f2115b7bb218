/**
 * @module edge/deliver/conditional
 * Conditional requests answered from a stored response (RFC 9110 13): the evaluation order of
 * 13.2.2 and the headers a 304 carries (15.4.5).
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import { getHeader, getHeaderJoined } from '../../shared/lambda-edge/index.js';
import { parseEntityTag, parseEntityTagList, parseHttpDate, strongMatch, weakMatch } from './validators.js';

export type ConditionalResult = 'not-modified' | 'precondition-failed' | 'none';

const SAFE_READ = new Set(['GET', 'HEAD']);

/** If-Match (13.1.1): true when `*` or any listed tag strongly matches the current ETag. */
function ifMatchPasses(field: string, etag: string | undefined): boolean {
  const list = parseEntityTagList(field);
  if (list === '*') return true; // a stored representation exists
  const current = etag === undefined ? undefined : parseEntityTag(etag);
  return current !== undefined && list.some((t) => strongMatch(t, current));
}

/** If-None-Match (13.1.2): false when `*` or any listed tag weakly matches the current ETag. */
function ifNoneMatchPasses(field: string, etag: string | undefined): boolean {
  const list = parseEntityTagList(field);
  if (list === '*') return false;
  const current = etag === undefined ? undefined : parseEntityTag(etag);
  return current === undefined || !list.some((t) => weakMatch(t, current));
}

/** The stored Last-Modified in seconds; parsed only when a date condition asks (every hit evaluates, few carry one). */
function lastModifiedOf(responseHeaders: CfHeaders): number | undefined {
  return parseHttpDate(getHeader(responseHeaders, 'last-modified'));
}

/**
 * Evaluate the preconditions of a request against the stored response's validators, in the
 * order of RFC 9110 13.2.2: If-Match, else If-Unmodified-Since; then If-None-Match, else (GET/HEAD
 * only) If-Modified-Since. Invalid dates and absent validators make a date condition ignored.
 */
export function evaluateConditional(
  method: string,
  requestHeaders: CfHeaders,
  responseHeaders: CfHeaders,
): ConditionalResult {
  const etag = getHeader(responseHeaders, 'etag');
  const ifMatch = getHeaderJoined(requestHeaders, 'if-match');
  if (ifMatch !== undefined) {
    if (!ifMatchPasses(ifMatch, etag)) return 'precondition-failed';
  } else {
    const ius = parseHttpDate(getHeader(requestHeaders, 'if-unmodified-since'));
    if (ius !== undefined && (lastModifiedOf(responseHeaders) ?? -Infinity) > ius) return 'precondition-failed';
  }
  const ifNoneMatch = getHeaderJoined(requestHeaders, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    if (!ifNoneMatchPasses(ifNoneMatch, etag)) return SAFE_READ.has(method) ? 'not-modified' : 'precondition-failed';
    return 'none';
  }
  if (SAFE_READ.has(method)) {
    const ims = parseHttpDate(getHeader(requestHeaders, 'if-modified-since'));
    if (ims !== undefined && (lastModifiedOf(responseHeaders) ?? Infinity) <= ims) return 'not-modified';
  }
  return 'none';
}

/**
 * Headers a 304 carries (RFC 9110 15.4.5): those a 200 would have sent among Cache-Control,
 * Content-Location, Date, ETag, Expires and Vary, plus Last-Modified, which is allowed and helps
 * caches. Returns a new map; entries are copied.
 */
const NOT_MODIFIED_HEADERS = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified'];

export function notModifiedHeaders(headers: CfHeaders): CfHeaders {
  const out: CfHeaders = {};
  for (const name of NOT_MODIFIED_HEADERS) {
    const list = headers[name];
    if (list?.length) out[name] = list.map((e) => ({ ...e }));
  }
  return out;
}
