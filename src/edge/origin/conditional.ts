/**
 * @module edge/origin/conditional
 * Conditional requests and byte ranges for the directory bucket, per RFC 9110 section 13
 * (preconditions, evaluated in the order of 13.2.2) and section 14 (Range, If-Range). Pure
 * functions over header values, so the bucket stays about files.
 */

export interface Validators {
  /** Strong entity tag, quoted. */
  etag: string;
  /** Modification time in epoch ms. */
  mtimeMs: number;
}

/** Parse an entity-tag list (`"a", W/"b"`) or `*`. */
function tagList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** RFC 9110 8.8.3.2: strong comparison needs both tags strong and equal. */
function strongMatch(list: string[], etag: string): boolean {
  return list.some((t) => t === '*' || (!t.startsWith('W/') && t === etag));
}

/** RFC 9110 8.8.3.2: weak comparison ignores the W/ prefix. */
function weakMatch(list: string[], etag: string): boolean {
  return list.some((t) => t === '*' || opaque(t) === opaque(etag));
}

function httpDateSec(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

export interface ConditionalHeaders {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/**
 * Evaluate preconditions for a GET/HEAD (RFC 9110 13.2.2): 412 when If-Match or
 * If-Unmodified-Since fails, 304 when If-None-Match or If-Modified-Since says the client's copy
 * is current, else 'proceed'. If-None-Match wins over If-Modified-Since.
 */
export function evaluatePreconditions(h: ConditionalHeaders, v: Validators): 'proceed' | 304 | 412 {
  const mtimeSec = Math.floor(v.mtimeMs / 1000);
  if (h.ifMatch !== undefined) {
    if (!strongMatch(tagList(h.ifMatch), v.etag)) return 412;
  } else {
    const ius = httpDateSec(h.ifUnmodifiedSince);
    if (ius !== undefined && mtimeSec > ius) return 412;
  }
  if (h.ifNoneMatch !== undefined) {
    if (weakMatch(tagList(h.ifNoneMatch), v.etag)) return 304;
  } else {
    const ims = httpDateSec(h.ifModifiedSince);
    if (ims !== undefined && mtimeSec <= ims) return 304;
  }
  return 'proceed';
}

export type RangeResult = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * Parse a Range header against a representation of `size` bytes. Returns the inclusive byte
 * range, 'unsatisfiable' (416), or null to ignore the header and send everything: RFC 9110 14.2
 * lets a server ignore Range, which we do for syntax errors, other units and multiple ranges.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    // Suffix range: the last n bytes (RFC 9110 14.1.2).
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Number(b);
  if (b !== '' && end < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/**
 * If-Range (RFC 9110 13.1.5): the range applies only if the validator still matches. An entity
 * tag must match strongly; a date must equal Last-Modified exactly.
 */
export function ifRangeHolds(ifRange: string | undefined, v: Validators): boolean {
  if (ifRange === undefined) return true;
  const t = ifRange.trim();
  if (t.startsWith('"') || t.startsWith('W/')) return strongMatch([t], v.etag);
  const sec = httpDateSec(t);
  return sec !== undefined && sec === Math.floor(v.mtimeMs / 1000);
}
