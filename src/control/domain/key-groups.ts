/**
 * @module control/domain/key-groups
 * Public keys and key groups for signed URLs and cookies, with CloudFront's ids (a public key id
 * like `K2JCJMDEHXQW5F` is what signers send as `Key-Pair-Id`; a key group id is a UUID), the
 * checks that keep them consistent (a key group holds 1–5 existing keys; nothing in use can be
 * deleted: the refusal names the key groups, or the distributions and behaviors, that use it),
 * and what a snapshot carries to PoPs: each distribution's trusted key groups with their keys.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { LIMITS } from '../../shared/config/defaults.js';
import type { DistributionConfig, KeyGroupConfig } from '../../shared/config/types.js';
import { publicKeyProblem } from '../../shared/config/rules.js';
import { VergeError } from '../../shared/errors.js';
import { validationError } from './validation.js';
import type { KeyGroupRecord, PublicKeyRecord, Store } from '../store/types.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** `K` and 13 upper-case letters or digits, as CloudFront's public key ids. */
export function newPublicKeyId(): string {
  let id = 'K';
  for (let i = 0; i < 13; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

export function publicKeyView(k: PublicKeyRecord) {
  return {
    id: k.id,
    name: k.name,
    encodedKey: k.encodedKey,
    comment: k.comment,
    createdTime: new Date(k.createdAt).toISOString(),
  };
}

export function keyGroupView(g: KeyGroupRecord) {
  return {
    id: g.id,
    name: g.name,
    comment: g.comment,
    publicKeyIds: g.publicKeyIds,
    lastModifiedTime: new Date(g.updatedAt).toISOString(),
    etag: `"r${g.revision}"`,
  };
}

export async function getPublicKey(store: Store, id: string): Promise<PublicKeyRecord> {
  const k = await store.publicKeys.get(id);
  if (!k) throw new VergeError('NOT_FOUND', `public key ${id} does not exist (GET /api/v1/public-keys lists them)`);
  return k;
}

export async function getKeyGroup(store: Store, id: string): Promise<KeyGroupRecord> {
  const g = await store.keyGroups.get(id);
  if (!g) throw new VergeError('NOT_FOUND', `key group ${id} does not exist (GET /api/v1/key-groups lists them)`);
  return g;
}

export async function newPublicKey(
  store: Store,
  b: { name: string; encodedKey: string; comment?: string },
  now: number,
): Promise<PublicKeyRecord> {
  const problem = publicKeyProblem(b.encodedKey);
  if (problem) throw validationError([{ path: '$.encodedKey', message: problem }]);
  if (await store.publicKeys.byName(b.name))
    throw new VergeError('ALREADY_EXISTS', `a public key named ${b.name} exists`);
  let id = newPublicKeyId();
  while (await store.publicKeys.get(id)) id = newPublicKeyId();
  return { id, name: b.name, encodedKey: b.encodedKey.trim() + '\n', comment: b.comment ?? '', createdAt: now };
}

/** Key ids must exist, be distinct and number 1–5 (CloudFront's quota per key group). */
export async function checkGroupKeys(store: Store, ids: readonly string[]): Promise<void> {
  const problems: Array<{ path: string; message: string }> = [];
  for (const [i, id] of ids.entries()) {
    if (!(await store.publicKeys.get(id)))
      problems.push({ path: `$.publicKeyIds[${i}]`, message: `public key ${id} does not exist` });
  }
  if (new Set(ids).size !== ids.length) problems.push({ path: '$.publicKeyIds', message: 'lists a public key twice' });
  if (ids.length < 1 || ids.length > LIMITS.publicKeysPerKeyGroup)
    problems.push({
      path: '$.publicKeyIds',
      message: `a key group holds 1–${LIMITS.publicKeysPerKeyGroup} public keys`,
    });
  if (problems.length > 0) throw validationError(problems);
}

/** Every (distribution, behavior) whose trustedKeyGroups names `id`. */
export async function keyGroupUsers(
  store: Store,
  id: string,
): Promise<Array<{ distribution: string; behavior: string }>> {
  const out: Array<{ distribution: string; behavior: string }> = [];
  for (const d of await store.distributions.list()) {
    for (const [behavior, b] of behaviorsOf(d.config))
      if (b.trustedKeyGroups?.includes(id)) out.push({ distribution: d.id, behavior });
  }
  return out;
}

function behaviorsOf(c: DistributionConfig) {
  return [
    ['default', c.defaultCacheBehavior] as const,
    ...(c.cacheBehaviors ?? []).map((b) => [b.pathPattern, b] as const),
  ];
}

export async function checkKeyGroupUnused(store: Store, id: string): Promise<void> {
  const users = await keyGroupUsers(store, id);
  if (users.length === 0) return;
  const names = users.map((u) => `${u.distribution} ${u.behavior}`).join(', ');
  throw new VergeError(
    'KEY_IN_USE',
    `key group ${id} is trusted by distribution behavior(s) ${names}; remove it from their trustedKeyGroups first`,
    { details: { users } },
  );
}

export async function checkPublicKeyUnused(store: Store, id: string): Promise<void> {
  const groups = (await store.keyGroups.list()).filter((g) => g.publicKeyIds.includes(id));
  if (groups.length === 0) return;
  throw new VergeError(
    'KEY_IN_USE',
    `public key ${id} is in key group(s) ${groups.map((g) => `${g.name} (${g.id})`).join(', ')}; take it out of them first`,
    { details: { keyGroups: groups.map((g) => g.id) } },
  );
}

/** The key groups a distribution's behaviors trust, with their keys, as the edge config carries them. */
export async function keyGroupsFor(store: Store, c: DistributionConfig): Promise<KeyGroupConfig[] | undefined> {
  const ids = [...new Set(behaviorsOf(c).flatMap(([, b]) => b.trustedKeyGroups ?? []))];
  if (ids.length === 0) return undefined;
  const out: KeyGroupConfig[] = [];
  for (const id of ids) {
    const g = await store.keyGroups.get(id);
    if (!g)
      throw new VergeError('VALIDATION_FAILED', `distribution ${c.id} trusts key group ${id}, which does not exist`);
    const publicKeys: KeyGroupConfig['publicKeys'] = [];
    for (const kid of g.publicKeyIds) {
      const k = await store.publicKeys.get(kid);
      if (!k)
        throw new VergeError('VALIDATION_FAILED', `key group ${g.id} holds public key ${kid}, which does not exist`);
      publicKeys.push({ id: k.id, name: k.name, encodedKey: k.encodedKey });
    }
    out.push({ id: g.id, name: g.name, publicKeys });
  }
  return out;
}

export function newKeyGroupId(): string {
  return randomUUID();
}
