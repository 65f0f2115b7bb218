/**
 * @module edge/cache/invalidate
 * CloudFront invalidation (spec 7.6): validate a request, then compile its paths and tags into
 * one predicate the stores run over their entries. Paths are case-sensitive, start with `/`, may
 * end with `*` (and only there), and include the query string. A path's query is normalized the
 * same way the cache key sorts it (see key.ts), so `/a?y=2&x=1` clears the entry for `/a?x=1&y=2`.
 */
import { VergeError } from '../../shared/errors.js';
import type { CacheEntry, InvalidationRequest } from './types.js';
import { selectQuery } from './key.js';

/** Spec 7.6 limits. */
export const MAX_PATH_LENGTH = 4000;
export const MAX_FILE_PATHS = 3000;
export const MAX_WILDCARD_PATHS = 15;
/** Our own limits for tag invalidation (CloudFront has none; Fastly caps keys at 1,024 bytes). */
export const MAX_TAGS_PER_REQUEST = 3000;
export const MAX_TAG_LENGTH = 1024;

const ALL_QUERY = { behavior: 'all', items: [] } as const;

function invalid(message: string, details: Record<string, unknown>): VergeError {
  return new VergeError('INVALIDATION_INVALID', message, { details });
}

/**
 * Check an invalidation request against CloudFront's rules; throws VergeError
 * INVALIDATION_INVALID naming the first offending path or tag.
 */
export function validateInvalidation(req: InvalidationRequest): void {
  const paths = req.paths ?? [];
  const tags = req.tags ?? [];
  if (paths.length === 0 && tags.length === 0) {
    throw invalid('An invalidation needs at least one path or tag.', { distributionId: req.distributionId });
  }
  let files = 0;
  let wildcards = 0;
  for (const p of paths) {
    checkPath(p);
    if (p.endsWith('*')) wildcards++;
    else files++;
  }
  if (files > MAX_FILE_PATHS) {
    throw invalid(`An invalidation may list at most ${MAX_FILE_PATHS} file paths; this one lists ${files}.`, { files });
  }
  if (wildcards > MAX_WILDCARD_PATHS) {
    throw invalid(
      `An invalidation may list at most ${MAX_WILDCARD_PATHS} wildcard paths; this one lists ${wildcards}.`,
      { wildcards },
    );
  }
  if (tags.length > MAX_TAGS_PER_REQUEST) {
    throw invalid(`An invalidation may list at most ${MAX_TAGS_PER_REQUEST} tags.`, { tags: tags.length });
  }
  for (const t of tags) {
    if (typeof t !== 'string' || t === '' || t.length > MAX_TAG_LENGTH || /[\s,]/.test(t)) {
      throw invalid(
        `Invalid tag ${JSON.stringify(t)}: tags are 1-${MAX_TAG_LENGTH} characters without spaces or commas.`,
        { tag: t },
      );
    }
  }
}

function checkPath(p: string): void {
  if (typeof p !== 'string' || !p.startsWith('/')) {
    throw invalid(`Invalid invalidation path ${JSON.stringify(p)}: paths must start with "/".`, { path: p });
  }
  if (p.length > MAX_PATH_LENGTH) {
    throw invalid(`Invalidation path is ${p.length} characters; the maximum is ${MAX_PATH_LENGTH}.`, {
      path: p.slice(0, 80),
    });
  }
  const star = p.indexOf('*');
  if (star >= 0 && star !== p.length - 1) {
    throw invalid(
      `Invalid invalidation path ${JSON.stringify(p)}: "*" may only be the last character (e.g. "/images/*").`,
      {
        path: p,
      },
    );
  }
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      throw invalid(`Invalid invalidation path ${JSON.stringify(p)}: control characters are not allowed.`, { path: p });
    }
  }
}

/**
 * Percent-encode what CloudFront asks users to encode (non-ASCII, space), leaving everything
 * else as written: encoding other characters would stop the path matching (spec 7.6).
 */
function encodeUnsafe(p: string): string {
  let simple = true;
  for (let i = 0; i < p.length && simple; i++) {
    const c = p.charCodeAt(i);
    if (c > 0x7e || c === 0x20) simple = false;
  }
  if (simple) return p;
  let out = '';
  for (const ch of p) {
    const c = ch.codePointAt(0)!;
    out += c > 0x7e || c === 0x20 ? encodeURIComponent(ch) : ch;
  }
  return out;
}

/** An exact path's query sorted like the cache key's, so order does not matter. */
function normalizeExact(p: string): string {
  const q = p.indexOf('?');
  if (q < 0) return p;
  const { forKey } = selectQuery(p.slice(q + 1), ALL_QUERY);
  return forKey === '' ? p.slice(0, q) : p.slice(0, q) + '?' + forKey;
}

/** A predicate over entries: true when the entry is to be removed. */
export type EntryMatcher = (entry: Pick<CacheEntry, 'distributionId' | 'invalidationPath' | 'tags'>) => boolean;

/**
 * Validate and compile an invalidation request into one predicate. Exact paths are a Set lookup;
 * wildcard paths are prefix tests; `/*` matches every entry of the distribution.
 *
 * @example compileInvalidation({ distributionId: 'D1', paths: ['/img/*'] })(entry)
 */
export function compileInvalidation(req: InvalidationRequest): EntryMatcher {
  validateInvalidation(req);
  const exact = new Set<string>();
  const prefixes: string[] = [];
  let everything = false;
  for (const raw of req.paths ?? []) {
    const p = encodeUnsafe(raw);
    if (p === '/*') everything = true;
    else if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(normalizeExact(p));
  }
  const tags = new Set(req.tags ?? []);
  const dist = req.distributionId;
  return (entry) => {
    if (entry.distributionId !== dist) return false;
    if (everything) return true;
    const path = entry.invalidationPath;
    if (exact.has(path)) return true;
    for (const pre of prefixes) if (path.startsWith(pre)) return true;
    if (tags.size > 0) for (const t of entry.tags) if (tags.has(t)) return true;
    return false;
  };
}
