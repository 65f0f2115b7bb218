/**
 * @module edge/deliver/validators
 * Entity tags and HTTP dates as RFC 9110 defines them (8.8.3 ETag and its comparison functions,
 * 5.6.7 HTTP-date), shared by conditional requests and If-Range.
 */
import { parseHttpDate as parseHttpDateMs } from '../../shared/http-date.js';

export interface EntityTag {
  weak: boolean;
  /** The opaque-tag including its quotes, e.g. `"abc"`. */
  opaque: string;
}

/**
 * One entity-tag. Lenient for values origins send in the wild: an unquoted value is taken as
 * its own opaque tag, so `ETag: abc` still matches `If-None-Match: abc`.
 */
export function parseEntityTag(raw: string): EntityTag | undefined {
  let s = raw.trim();
  if (s === '') return undefined;
  const weak = s.startsWith('W/');
  if (weak) s = s.slice(2);
  return { weak, opaque: s };
}

const TAG_LIST = /\s*(W\/)?("[^"]*")\s*(?:,|$)/y;

/**
 * An If-Match / If-None-Match list. `*` comes back as '*'. Commas may appear inside quoted tags
 * (etagc allows them), so the list is tokenized by quotes; a list that does not parse strictly is
 * split on commas instead.
 */
export function parseEntityTagList(raw: string): EntityTag[] | '*' {
  const s = raw.trim();
  if (s === '*') return '*';
  const out: EntityTag[] = [];
  TAG_LIST.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TAG_LIST.lastIndex < s.length && (m = TAG_LIST.exec(s)) !== null)
    out.push({ weak: m[1] !== undefined, opaque: m[2]! });
  if (TAG_LIST.lastIndex >= s.length && out.length > 0) return out;
  return s
    .split(',')
    .map(parseEntityTag)
    .filter((t): t is EntityTag => t !== undefined);
}

/** RFC 9110 8.8.3.2 strong comparison: both strong and identical. */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** RFC 9110 8.8.3.2 weak comparison: opaque tags identical, weakness ignored. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

/**
 * Parse an HTTP-date (IMF-fixdate, obsolete RFC 850 or asctime forms, RFC 9110 5.6.7) to epoch
 * seconds, or undefined: a condition whose date is not an HTTP-date is ignored (RFC 9110
 * 13.1.3, 13.1.4, 13.1.5). Only the century of an RFC 850 two-digit year depends on the system
 * clock here, and both sides of a comparison are read the same way.
 */
export function parseHttpDate(raw: string | undefined): number | undefined {
  // Absent is the common case (every hit asks for If-Modified-Since): no clock read for it.
  if (raw === undefined) return undefined;
  const ms = parseHttpDateMs(raw, Date.now());
  return ms === undefined ? undefined : Math.floor(ms / 1000);
}
