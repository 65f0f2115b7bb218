/**
 * @module control/domain/rollback
 * Rollback: make the store describe what an earlier snapshot served (distributions, triggers,
 * KeyValueStore data), so the next snapshot's content equals that one's and later changes build
 * on it rather than silently undoing it. Refused when a function version the old snapshot used
 * has since been deleted. Every snapshot is kept, so rolling forward again is another rollback.
 */
import { randomUUID } from 'node:crypto';
import type { DistributionConfig, FunctionConfig } from '../../shared/config/types.js';
import type { Snapshot } from '../../shared/replication/protocol.js';
import { VergeError } from '../../shared/errors.js';
import type { SecretBox } from '../auth/secret-box.js';
import { DEFAULT_BEHAVIOR, openSnapshot } from '../compile/snapshot.js';
import type { Store, TriggerRecord } from '../store/types.js';

export function stripAssociations(d: DistributionConfig): {
  config: DistributionConfig;
  triggers: Omit<TriggerRecord, 'id' | 'revision' | 'createdAt'>[];
} {
  const config = structuredClone(d);
  const triggers: Omit<TriggerRecord, 'id' | 'revision' | 'createdAt'>[] = [];
  const behaviors = [
    [DEFAULT_BEHAVIOR, config.defaultCacheBehavior] as const,
    ...(config.cacheBehaviors ?? []).map((b) => [b.pathPattern, b] as const),
  ];
  for (const [behavior, b] of behaviors) {
    for (const a of b.functionAssociations ?? []) {
      // A canary's arm is not restored: the trigger comes back with the version it ran for everyone.
      if (a.canary) continue;
      const f = a.function as FunctionConfig;
      triggers.push({
        distributionId: d.id,
        behavior,
        eventType: a.eventType,
        functionName: f.name!,
        functionVersion: Number(f.version),
        includeBody: a.includeBody ?? false,
        canary: null,
      });
    }
    delete b.functionAssociations;
  }
  return { config, triggers };
}

async function restoreKvs(store: Store, s: Snapshot, now: number): Promise<void> {
  for (const k of Object.values(s.kvs)) {
    const blob = await store.blobs.get(k.sha256);
    if (!blob) throw new VergeError('INTERNAL', `KeyValueStore data ${k.sha256} of snapshot ${s.version} is missing`);
    const data = JSON.parse(blob.data.toString('utf8')) as Record<string, string>;
    const cur = await store.kvs.get(k.name);
    if (!cur) await store.kvs.insert({ name: k.name, data, revision: 1, createdAt: now, updatedAt: now });
    else if (JSON.stringify(cur.data) !== JSON.stringify(data))
      await store.kvs.update({ ...cur, data, revision: cur.revision + 1, updatedAt: now });
  }
}

/** Rewrite the store to snapshot `version`'s content; call inside `App.change`. */
export async function restoreSnapshot(store: Store, box: SecretBox, version: number, now: number): Promise<void> {
  const s = await openSnapshot(store, box, version);
  if (!s) throw new VergeError('NOT_FOUND', `snapshot ${version} does not exist (GET /api/v1/deployments lists them)`);
  const wanted = s.distributions.map(stripAssociations);
  await requireVersions(store, version, wanted);
  const keep = new Set(wanted.map((w) => w.config.id));
  for (const d of await store.distributions.list()) {
    if (keep.has(d.id)) continue;
    for (const t of await store.triggers.list({ distributionId: d.id })) await store.triggers.delete(t.id);
    await store.distributions.delete(d.id);
  }
  for (const w of wanted) await restoreOne(store, w, now);
  await restoreKvs(store, s, now);
}

/**
 * Rewrite one distribution (config and triggers) to what snapshot `version` served; nothing else
 * changes, so the next snapshot gives that distribution alone a new generation. KeyValueStore
 * data is shared between distributions and stays as it is.
 */
export async function restoreDistribution(
  store: Store,
  box: SecretBox,
  id: string,
  version: number,
  now: number,
): Promise<void> {
  const s = await openSnapshot(store, box, version);
  if (!s)
    throw new VergeError(
      'NOT_FOUND',
      `snapshot ${version} does not exist (\`verge deploy history\` or GET /api/v1/deployments lists them)`,
    );
  const d = s.distributions.find((x) => x.id === id);
  if (!d)
    throw new VergeError(
      'VALIDATION_FAILED',
      `distribution ${id} is not in snapshot ${version}; pick a version where it exists (GET /api/v1/distributions/${id}/history lists them)`,
      { details: { fields: [{ path: '$.to', message: `snapshot ${version} has no distribution ${id}` }] } },
    );
  if (!(await store.distributions.get(id)))
    throw new VergeError('NOT_FOUND', `distribution ${id} does not exist (GET /api/v1/distributions lists them)`);
  const w = stripAssociations(d);
  await requireVersions(store, version, [w]);
  await restoreOne(store, w, now);
}

async function requireVersions(
  store: Store,
  version: number,
  wanted: ReturnType<typeof stripAssociations>[],
): Promise<void> {
  for (const t of wanted.flatMap((w) => w.triggers)) {
    if (!(await store.functions.version(t.functionName, t.functionVersion))) {
      throw new VergeError(
        'VALIDATION_FAILED',
        `snapshot ${version} uses ${t.functionName}:${t.functionVersion}, which has been deleted; it cannot be restored`,
        {
          details: {
            fields: [
              { path: '$.version', message: `uses deleted function version ${t.functionName}:${t.functionVersion}` },
            ],
          },
        },
      );
    }
  }
}

async function restoreOne(store: Store, w: ReturnType<typeof stripAssociations>, now: number): Promise<void> {
  const cur = await store.distributions.get(w.config.id);
  if (!cur)
    await store.distributions.insert({
      id: w.config.id,
      config: w.config,
      revision: 1,
      changedIn: 0,
      createdAt: now,
      updatedAt: now,
    });
  else if (JSON.stringify(cur.config) !== JSON.stringify(w.config))
    await store.distributions.update({ ...cur, config: w.config, revision: cur.revision + 1, updatedAt: now });
  for (const t of await store.triggers.list({ distributionId: w.config.id })) await store.triggers.delete(t.id);
  for (const t of w.triggers)
    await store.triggers.replace({
      ...t,
      id: `trg_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
      revision: 1,
      createdAt: now,
    });
}
