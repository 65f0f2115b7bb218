/**
 * @module shared/invalidation
 * CloudFront's rules for an invalidation request (spec 7.6), in the one place both planes read
 * them: the control plane checks a request when it is made and names every bad field, and the
 * edge checks again before it clears anything (its admin API and static mode take requests
 * directly). Paths are case-sensitive, start with `/`, may end with `*` (and only there), are at
 * most 4,000 characters without control characters; a request lists at most 3,000 file paths and
 * 15 wildcard paths. Tags are our own (CloudFront has none): 1–1,024 characters without spaces or
 * commas, at most 3,000. How a valid path matches cache entries is the edge cache's business
 * (`edge/cache/invalidate.ts`: it depends on the cache key's query normalization).
 */
import { VergeError } from './errors.js';

/** Spec 7.6 limits. */
export const MAX_PATH_LENGTH = 4000;
export const MAX_FILE_PATHS = 3000;
export const MAX_WILDCARD_PATHS = 15;
/** Our own limits for tag invalidation (Fastly caps keys at 1,024 bytes). */
export const MAX_TAGS_PER_REQUEST = 3000;
export const MAX_TAG_LENGTH = 1024;

export interface InvalidationProblem {
  /** The offending field as a JSON path: `$.paths[2]`, `$.paths`, `$.tags[0]`. */
  path: string;
  /** Names the offending value, so it reads on its own. */
  message: string;
  /** Facts for an error's details (the path or tag, a count). */
  details: Record<string, unknown>;
}

/** A wildcard path covers every path it is a prefix of (without the `*`). */
export function isWildcardPath(p: string): boolean {
  return p.endsWith('*');
}

const quoted = (s: string) => JSON.stringify(s.length > 80 ? s.slice(0, 80) + '…' : s);

/** The first thing wrong with one path, if any (in the order CloudFront's messages suggest). */
function pathProblem(p: unknown): Omit<InvalidationProblem, 'path'> | undefined {
  if (typeof p !== 'string' || !p.startsWith('/'))
    return { message: `paths must start with "/" (got ${quoted(String(p))})`, details: { path: p } };
  if (p.length > MAX_PATH_LENGTH)
    return {
      message: `path ${quoted(p)} is ${p.length} characters; the maximum is ${MAX_PATH_LENGTH}`,
      details: { path: p.slice(0, 80) },
    };
  const star = p.indexOf('*');
  if (star >= 0 && star !== p.length - 1)
    return {
      message: `"*" may only be the last character (e.g. "/images/*"; got ${quoted(p)})`,
      details: { path: p },
    };
  if (/[\u0000-\u001f\u007f]/.test(p))
    return { message: `control characters are not allowed (got ${quoted(p)})`, details: { path: p } };
  return undefined;
}

function tagProblem(t: unknown): string | undefined {
  if (typeof t === 'string' && t !== '' && t.length <= MAX_TAG_LENGTH && !/[\s,]/.test(t)) return undefined;
  return `tags are 1–${MAX_TAG_LENGTH} characters without spaces or commas (got ${quoted(String(t))})`;
}

/** Every problem with a request, in field order (empty when it is valid). */
export function invalidationProblems(paths: readonly unknown[], tags: readonly unknown[]): InvalidationProblem[] {
  const out: InvalidationProblem[] = [];
  if (paths.length === 0 && tags.length === 0)
    out.push({ path: '$.paths', message: 'an invalidation needs at least one path or tag', details: {} });
  let files = 0;
  let wildcards = 0;
  paths.forEach((p, i) => {
    const problem = pathProblem(p);
    if (problem) out.push({ path: `$.paths[${i}]`, ...problem });
    if (typeof p === 'string' && isWildcardPath(p)) wildcards++;
    else files++;
  });
  if (files > MAX_FILE_PATHS)
    out.push({
      path: '$.paths',
      message: `at most ${MAX_FILE_PATHS} file paths per invalidation (got ${files})`,
      details: { files },
    });
  if (wildcards > MAX_WILDCARD_PATHS)
    out.push({
      path: '$.paths',
      message: `at most ${MAX_WILDCARD_PATHS} wildcard paths per invalidation (got ${wildcards})`,
      details: { wildcards },
    });
  if (tags.length > MAX_TAGS_PER_REQUEST)
    out.push({
      path: '$.tags',
      message: `at most ${MAX_TAGS_PER_REQUEST} tags per invalidation (got ${tags.length})`,
      details: { tags: tags.length },
    });
  tags.forEach((t, i) => {
    const message = tagProblem(t);
    if (message) out.push({ path: `$.tags[${i}]`, message, details: { tag: t } });
  });
  return out;
}

/**
 * Check a request against the rules; throws VergeError INVALIDATION_INVALID naming the first
 * offending path or tag (the edge's answer: one error, like CloudFront's).
 */
export function validateInvalidation(req: {
  distributionId?: string;
  paths?: readonly unknown[];
  tags?: readonly unknown[];
}): void {
  const first = invalidationProblems(req.paths ?? [], req.tags ?? [])[0];
  if (!first) return;
  const details = { distributionId: req.distributionId, field: first.path, ...first.details };
  throw new VergeError('INVALIDATION_INVALID', `${first.path}: ${first.message}`, { details });
}
