/**
 * @module control/domain/bundles
 * Collecting function bundles nothing needs any more. Bundles are content-addressed and shared,
 * so a deleted function's bundle goes only when no function's $LATEST or version uses it and no
 * stored snapshot lists it: every snapshot is kept, an edge that is behind may still fetch any of
 * them by hash, and a rollback restores one. Foreign keys back the first rule up: SQLite refuses
 * to delete a blob a function row still references.
 * And reading bundle bytes back: `readBundle` is the one read, and it checks them against the
 * sha256 they are stored under, so damaged bytes (a bad sector, a bad restore, a hand edit) are
 * refused with BUNDLE_CORRUPT instead of being shown, gated or served to a PoP. KeyValueStore
 * data, the other kind of blob, is read through `readKvs` with the same check (KVS_CORRUPT).
 * A blob put again under its hash repairs damaged bytes (BlobRepo.put), so the messages say how
 * to put the same bytes again.
 */
import { createHash } from 'node:crypto';
import { VergeError } from '../../shared/errors.js';
import { kvsBlob } from '../compile/snapshot.js';
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
      `Upload the same code again (verge functions update-code ${name} --code PATH: the same bytes have the same hash and ` +
      `replace the damaged copy, which repairs every version that uses it), or restore the database from backup. ` +
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

/**
 * The bytes of KeyValueStore data `sha` (what PoPs fetch and a rollback restores), checked
 * against `sha` like a bundle's. Undefined when none is stored under `sha`; damaged bytes throw
 * KVS_CORRUPT naming the KeyValueStore when its current data is these bytes, and both hashes.
 */
export async function readKvs(store: Store, sha: string): Promise<Buffer | undefined> {
  const blob = await store.blobs.get(sha);
  if (!blob || blob.kind !== 'kvs') return undefined;
  const actual = createHash('sha256').update(blob.data).digest('hex');
  if (actual === sha) return blob.data;
  const names = (await store.kvs.list()).filter((k) => kvsBlob(k.data).sha256 === sha).map((k) => k.name);
  const who = names.length > 0 ? `of KeyValueStore ${names.join(', ')}` : '(an earlier content of a KeyValueStore)';
  throw new VergeError(
    'KVS_CORRUPT',
    `the KeyValueStore data ${who} is damaged in the store: stored as sha256 ${sha}, its bytes hash to ${actual}. ` +
      (names.length > 0
        ? `The next change that builds a snapshot writes the same data again and repairs it (e.g. set a key of ${names[0]} and set it back), `
        : `Only the same data put again repairs it; `) +
      `or restore the database from backup. Nothing was changed.`,
    { details: { sha256: sha, actualSha256: actual, kvs: names } },
  );
}
