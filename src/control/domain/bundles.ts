/**
 * @module control/domain/bundles
 * Collecting function bundles nothing needs any more. Bundles are content-addressed and shared,
 * so a deleted function's bundle goes only when no function's $LATEST or version uses it and no
 * stored snapshot lists it: every snapshot is kept, an edge that is behind may still fetch any of
 * them by hash, and a rollback restores one. Foreign keys back the first rule up: SQLite refuses
 * to delete a blob a function row still references.
 */
import type { Store } from '../store/types.js';

export interface Collected {
  deleted: string[];
  /** sha256 → why it stays. */
  kept: Record<string, 'function' | 'snapshot'>;
}

/** Delete those of `candidates` nothing references; call inside the transaction that dropped their users. */
export async function collectBundles(store: Store, candidates: Iterable<string>): Promise<Collected> {
  const shas = [...new Set(candidates)];
  const byFunctions = await store.functions.bundlesInUse(shas);
  const rest = shas.filter((s) => !byFunctions.has(s));
  const bySnapshots = await store.snapshots.bundlesInUse(rest);
  const out: Collected = { deleted: [], kept: {} };
  for (const sha of shas) {
    if (byFunctions.has(sha)) out.kept[sha] = 'function';
    else if (bySnapshots.has(sha)) out.kept[sha] = 'snapshot';
    else if (await store.blobs.delete(sha, 'bundle')) out.deleted.push(sha);
  }
  return out;
}
