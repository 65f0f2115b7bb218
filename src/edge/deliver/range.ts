/**
 * @module edge/deliver/range
 * Byte-range requests (RFC 9110 14): parse `Range`, honour `If-Range`, and decide between the
 * full 200, one 206 part, or 416. Only the `bytes` unit is understood; anything that does not
 * parse is ignored (a full 200, as 14.2 allows). Several satisfiable ranges are answered with the
 * full representation, which 14.2 also permits, rather than multipart/byteranges.
 */
import { parseEntityTag, parseHttpDate, strongMatch } from './validators.js';

export type RangeResult =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/** Above this many range-specs the header is ignored (a cheap guard against abusive lists). */
export const MAX_RANGE_SPECS = 100;

type Spec = { first: number; last?: number } | { suffix: number };

const INT = /^\d+$/;

/** Parse `bytes=...` into specs; undefined when the header must be ignored. */
function parseRange(header: string): Spec[] | undefined {
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return undefined;
  const parts = header.slice(eq + 1).split(',');
  if (parts.length > MAX_RANGE_SPECS) return undefined;
  const specs: Spec[] = [];
  for (const p of parts) {
    const s = p.trim();
    if (s === '') continue; // empty list elements are allowed (RFC 9110 5.6.1)
    const dash = s.indexOf('-');
    if (dash < 0) return undefined;
    const a = s.slice(0, dash);
    const b = s.slice(dash + 1);
    if (a === '') {
      if (!INT.test(b)) return undefined;
      specs.push({ suffix: Number(b) });
    } else {
      if (!INT.test(a) || (b !== '' && !INT.test(b))) return undefined;
      const first = Number(a);
      const last = b === '' ? undefined : Number(b);
      if (last !== undefined && last < first) return undefined; // invalid range-spec (14.1.1)
      specs.push(last === undefined ? { first } : { first, last });
    }
  }
  return specs.length ? specs : undefined;
}

/** If-Range (13.1.5): a strong ETag that strongly matches, or a date equal to Last-Modified. */
function ifRangePasses(ifRange: string, etag: string | undefined, lastModified: string | undefined): boolean {
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) {
    const want = parseEntityTag(v);
    const have = etag === undefined ? undefined : parseEntityTag(etag);
    return want !== undefined && have !== undefined && strongMatch(want, have);
  }
  const date = parseHttpDate(v);
  const lm = parseHttpDate(lastModified);
  return date !== undefined && lm !== undefined && date === lm;
}

/** Decide how to answer a GET with these headers for a representation of `size` bytes. */
export function evaluateRange(
  rangeHeader: string | undefined,
  ifRange: string | undefined,
  size: number,
  etag?: string,
  lastModified?: string,
): RangeResult {
  if (rangeHeader === undefined) return { kind: 'full' };
  const specs = parseRange(rangeHeader);
  if (!specs) return { kind: 'full' };
  if (ifRange !== undefined && !ifRangePasses(ifRange, etag, lastModified)) return { kind: 'full' };
  const ranges: Array<{ start: number; end: number }> = [];
  let emptySuffix = false;
  for (const s of specs) {
    if ('suffix' in s) {
      if (s.suffix === 0) continue; // unsatisfiable
      if (size === 0) emptySuffix = true;
      else ranges.push({ start: Math.max(0, size - s.suffix), end: size - 1 });
    } else if (s.first < size) {
      ranges.push({ start: s.first, end: Math.min(s.last ?? size - 1, size - 1) });
    }
  }
  if (ranges.length === 1) return { kind: 'partial', start: ranges[0]!.start, end: ranges[0]!.end };
  if (ranges.length > 1) return { kind: 'full' };
  // A zero-length representation satisfies only a non-zero suffix range (14.1.1): send it whole.
  return emptySuffix ? { kind: 'full' } : { kind: 'unsatisfiable' };
}

/** `Content-Range` of a 206 (RFC 9110 14.4). */
export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/** `Content-Range` of a 416 (RFC 9110 15.5.17). */
export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}
