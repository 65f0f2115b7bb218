/**
 * @module edge/cache/invalidate
 * CloudFront invalidation (spec 7.6): validate a request (the rules are in shared/invalidation.ts),
 * then compile its paths and tags into one predicate the stores run over their entries. Paths are
 * case-sensitive, start with `/`, may end with `*` (and only there), and include the query string.
 * A path's query is normalized the same way the cache key sorts it (see key.ts), so `/a?y=2&x=1`
 * clears the entry for `/a?x=1&y=2`.
 */
import { validateInvalidation } from '../../shared/invalidation.js';
import type { CacheEntry, InvalidationRequest } from './types.js';
import { selectQuery } from './key.js';

// The request rules live in src/shared, read by the control plane too; re-exported for cache/index.ts.
export { validateInvalidation };

const ALL_QUERY = { behavior: 'all', items: [] } as const;

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
