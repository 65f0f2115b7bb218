/**
 * @module control/domain/invalidations
 * Invalidation requests checked by the rules the edge applies (shared/invalidation.ts, spec 7.6),
 * with each problem named by field. The status is per PoP, from their acknowledgements:
 * `Completed` once every registered PoP acked.
 */
import { invalidationProblems } from '../../shared/invalidation.js';
import { validationError } from './validation.js';
import type { InvalidationAckRecord, InvalidationRecord, PopRecord } from '../store/types.js';

/** Every problem with a request, each named by field (the rules are the edge's: shared/invalidation.ts). */
export function checkInvalidation(paths: readonly string[], tags: readonly string[]): void {
  const problems = invalidationProblems(paths, tags);
  if (problems.length > 0) throw validationError(problems.map(({ path, message }) => ({ path, message })));
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
    status: done ? ('Completed' as const) : ('InProgress' as const),
    pops: perPop,
  };
}
