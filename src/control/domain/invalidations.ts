/**
 * @module control/domain/invalidations
 * Invalidation requests checked like CloudFront checks them (spec 7.6: paths start with `/`,
 * `*` only as the last character, at most 4,000 characters, 3,000 file paths and 15 wildcard
 * paths per request; tags as the edge accepts them), with each problem named by field. The
 * status is per PoP, from their acknowledgements: `Completed` once every registered PoP acked.
 */
import type { ConfigProblem } from '../../shared/config/types.js';
import { validationError } from '../api/schema.js';
import type { InvalidationAckRecord, InvalidationRecord, PopRecord } from '../store/types.js';

const MAX_PATH_LENGTH = 4000;
const MAX_FILE_PATHS = 3000;
const MAX_WILDCARD_PATHS = 15;
const MAX_TAGS = 3000;
const MAX_TAG_LENGTH = 1024;

export function checkInvalidation(paths: readonly string[], tags: readonly string[]): void {
  const problems: ConfigProblem[] = [];
  if (paths.length === 0 && tags.length === 0)
    problems.push({ path: '$.paths', message: 'an invalidation needs at least one path or tag' });
  let files = 0;
  let wildcards = 0;
  paths.forEach((p, i) => {
    const at = `$.paths[${i}]`;
    if (!p.startsWith('/'))
      problems.push({ path: at, message: `paths must start with "/" (got ${JSON.stringify(p.slice(0, 80))})` });
    else if (p.length > MAX_PATH_LENGTH)
      problems.push({ path: at, message: `is ${p.length} characters; the maximum is ${MAX_PATH_LENGTH}` });
    else if (p.indexOf('*') >= 0 && p.indexOf('*') !== p.length - 1)
      problems.push({ path: at, message: '"*" may only be the last character (e.g. "/images/*")' });
    else if (/[\u0000-\u001f\u007f]/.test(p))
      problems.push({ path: at, message: 'control characters are not allowed' });
    if (p.endsWith('*')) wildcards++;
    else files++;
  });
  if (files > MAX_FILE_PATHS)
    problems.push({ path: '$.paths', message: `at most ${MAX_FILE_PATHS} file paths per invalidation (got ${files})` });
  if (wildcards > MAX_WILDCARD_PATHS)
    problems.push({
      path: '$.paths',
      message: `at most ${MAX_WILDCARD_PATHS} wildcard paths per invalidation (got ${wildcards})`,
    });
  if (tags.length > MAX_TAGS) problems.push({ path: '$.tags', message: `at most ${MAX_TAGS} tags per invalidation` });
  tags.forEach((t, i) => {
    if (t === '' || t.length > MAX_TAG_LENGTH || /[\s,]/.test(t))
      problems.push({
        path: `$.tags[${i}]`,
        message: `tags are 1–${MAX_TAG_LENGTH} characters without spaces or commas`,
      });
  });
  if (problems.length > 0) throw validationError(problems);
}

export function invalidationView(
  i: InvalidationRecord,
  acks: readonly InvalidationAckRecord[],
  pops: readonly PopRecord[],
) {
  const byPop = new Map(acks.map((a) => [a.pop, a]));
  const perPop: Record<string, { status: 'InProgress' | 'Completed'; removed: number | null; at: string | null }> = {};
  for (const p of pops) {
    const a = byPop.get(p.id);
    perPop[p.id] = a
      ? { status: 'Completed', removed: a.removed, at: new Date(a.at).toISOString() }
      : { status: 'InProgress', removed: null, at: null };
  }
  const done = Object.values(perPop).every((x) => x.status === 'Completed');
  return {
    id: i.id,
    distributionId: i.distributionId,
    paths: i.paths,
    tags: i.tags,
    createdAt: new Date(i.createdAt).toISOString(),
    status: done ? 'Completed' : 'InProgress',
    pops: perPop,
  };
}
