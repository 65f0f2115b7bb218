/**
 * @module control/domain/bundles
 * Collecting function bundles nothing needs any more. Bundles are content-addressed and shared,
 * so a deleted function's bundle goes only when no function's $LATEST or version uses it and no
 * stored snapshot lists it: every snapshot is kept, an edge that is behind may still fetch any of
 * them by hash, and a rollback restores one. Foreign keys back the first rule up: SQLite refuses
 * to delete a blob a function row still references.
 * And reading bundle bytes back: `readBundle` is the one read, and it checks them against the
 * sha256 they are stored under, so damaged bytes (a bad sector, a bad restore, a hand edit) are
 * refused with BUNDLE_CORRUPT instead of being shown, gated or served to a PoP.
 */
import { createHash } from 'node:crypto';
import { VergeError } from '../../shared/errors.js';
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

/** Who stores `sha` as code: `name:$LATEST` and `name:N`. Only on the failure path (one query per function). */
async function usersOf(store: Store, sha: string): Promise<{ name: string; version: string }[]> {
  const out: { name: string; version: string }[] = [];
  for (const f of await store.functions.list()) {
    if (f.codeSha256 === sha) out.push({ name: f.name, version: '$LATEST' });
    for (const v of await store.functions.versions(f.name))
      if (v.sha256 === sha) out.push({ name: f.name, version: String(v.version) });
  }
  return out;
}

/**
 * The bytes of bundle `sha`, checked against `sha` (hashed once per read: bundles are at most
 * 50 MB and read when code is shown, gated, tested or fetched by a PoP, not per viewer request).
 * Undefined when no bundle is stored under `sha`. Damaged bytes throw BUNDLE_CORRUPT naming the
 * functions and versions that use the bundle and both hashes; nothing is changed.
 */
export async function readBundle(store: Store, sha: string): Promise<Buffer | undefined> {
  const blob = await store.blobs.get(sha);
  if (!blob || blob.kind !== 'bundle') return undefined;
  const actual = createHash('sha256').update(blob.data).digest('hex');
  if (actual === sha) return blob.data;
  const users = await usersOf(store, sha);
  const who =
    users.length > 0
      ? `of function ${users.map((u) => `${u.name}:${u.version}`).join(', ')}`
      : '(no function uses it now; a stored snapshot lists it)';
  const name = users[0]?.name ?? 'NAME';
  throw new VergeError(
    'BUNDLE_CORRUPT',
    `the code bundle ${who} is damaged in the store: stored as sha256 ${sha}, its bytes hash to ${actual}. ` +
      `Upload the code again (verge functions update-code ${name} --code PATH; identical bytes have the same hash and ` +
      `keep the damaged copy, so change a byte, e.g. a comment) and publish again, or restore the database from backup. ` +
      `Nothing was changed.`,
    { details: { sha256: sha, actualSha256: actual, functions: users } },
  );
}

/** `readBundle` for a bundle a record references: its absence is a bug (foreign keys keep it). */
export async function bundleOf(store: Store, sha: string, of: string): Promise<Buffer> {
  const data = await readBundle(store, sha);
  if (!data) throw new VergeError('INTERNAL', `the code bundle ${sha} of ${of} is missing from the store`);
  return data;
}
