/**
 * @module control/domain/rollback
 * Rollback: make the store describe what an earlier snapshot served (distributions, triggers with
 * their canary arms, KeyValueStore data), so the next snapshot's content equals that one's and
 * later changes build on it rather than silently undoing it. Refused when a function version the
 * old snapshot used has since been deleted. Every snapshot is kept, so rolling forward again is
 * another rollback.
 *
 * Nothing a user stored goes without a trace: a trigger on the same behavior+event keeps its id
 * and its canary's record; a canary running now that the old snapshot did not serve ends as
 * `rolled-back` with an event naming the rollback, and one the old snapshot served runs again
 * with its id (the same viewers on each side) and share, with an event saying so.
 */
import { randomUUID } from 'node:crypto';
import type { DistributionConfig, FunctionConfig } from '../../shared/config/types.js';
import type { Snapshot } from '../../shared/replication/protocol.js';
import { VergeError } from '../../shared/errors.js';
import type { SecretBox } from '../auth/secret-box.js';
import { DEFAULT_BEHAVIOR, openSnapshot } from '../compile/snapshot.js';
import type { Store, TriggerRecord } from '../store/types.js';
import { readKvs } from './bundles.js';
import { isActive, withEvent, type CanaryRecord } from './canary.js';

/** A canary arm as a snapshot carries it: enough to run it again, not its steps or auto-rollback. */
export interface CanaryArm {
  id: string;
  percent: number;
  functionName: string;
  functionVersion: number;
}

export type WantedTrigger = Omit<TriggerRecord, 'id' | 'revision' | 'createdAt' | 'canary'> & { arm: CanaryArm | null };

export function stripAssociations(d: DistributionConfig): {
  config: DistributionConfig;
  triggers: WantedTrigger[];
} {
  const config = structuredClone(d);
  const triggers: WantedTrigger[] = [];
  const behaviors = [
    [DEFAULT_BEHAVIOR, config.defaultCacheBehavior] as const,
    ...(config.cacheBehaviors ?? []).map((b) => [b.pathPattern, b] as const),
  ];
  for (const [behavior, b] of behaviors) {
    const arms: Array<CanaryArm & { eventType: string }> = [];
    for (const a of b.functionAssociations ?? []) {
      const f = a.function as FunctionConfig;
      const fn = { functionName: f.name!, functionVersion: Number(f.version) };
      if (a.canary) {
        arms.push({ eventType: a.eventType, id: a.canary.id, percent: a.canary.percent, ...fn });
        continue;
      }
      triggers.push({
        distributionId: d.id,
        behavior,
        eventType: a.eventType,
        ...fn,
        includeBody: a.includeBody ?? false,
        arm: null,
      });
    }
    // Config validation puts a canary arm only next to its event's plain entry (rules-behaviors.ts).
    for (const { eventType, ...arm } of arms) {
      const t = triggers.find((x) => x.behavior === behavior && x.eventType === eventType);
      if (t) t.arm = arm;
    }
    delete b.functionAssociations;
  }
  return { config, triggers };
}

async function restoreKvs(store: Store, s: Snapshot, now: number): Promise<void> {
  for (const k of Object.values(s.kvs)) {
    const bytes = await readKvs(store, k.sha256);
    if (!bytes) throw new VergeError('INTERNAL', `KeyValueStore data ${k.sha256} of snapshot ${s.version} is missing`);
    const data = JSON.parse(bytes.toString('utf8')) as Record<string, string>;
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
  for (const w of wanted) await restoreOne(store, w, version, now);
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
  await restoreOne(store, w, version, now);
}

async function requireVersions(
  store: Store,
  version: number,
  wanted: ReturnType<typeof stripAssociations>[],
): Promise<void> {
  const used = wanted.flatMap((w) => w.triggers).flatMap((t) => (t.arm ? [t, t.arm] : [t]));
  for (const t of used) {
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

async function restoreOne(
  store: Store,
  w: ReturnType<typeof stripAssociations>,
  version: number,
  now: number,
): Promise<void> {
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
  const have = await store.triggers.list({ distributionId: w.config.id });
  const same = (a: { behavior: string; eventType: string }, b: { behavior: string; eventType: string }) =>
    a.behavior === b.behavior && a.eventType === b.eventType;
  // Triggers the old snapshot did not have go, with their canaries: it served nothing there.
  for (const t of have) if (!w.triggers.some((x) => same(x, t))) await store.triggers.delete(t.id);
  for (const { arm, ...t } of w.triggers) {
    const prev = have.find((x) => same(x, t));
    const canary = restoredCanary(prev?.canary ?? null, arm, `${t.functionName}:${t.functionVersion}`, version, now);
    const next: TriggerRecord = prev
      ? { ...prev, ...t, canary, revision: prev.revision + 1 }
      : { ...t, canary, id: `trg_${randomUUID().replace(/-/g, '').slice(0, 16)}`, revision: 1, createdAt: now };
    if (prev && JSON.stringify({ ...prev, revision: 0 }) === JSON.stringify({ ...next, revision: 0 })) continue;
    await store.triggers.replace(next);
  }
}

/**
 * The canary record a restored trigger carries: the old snapshot's arm running again, the
 * current one ended by the rollback, or the current record unchanged when it already matches.
 * The record with the arm's id keeps its steps and auto-rollback; an arm whose record is gone
 * (the trigger was replaced since) comes back holding, and its event says so.
 */
export function restoredCanary(
  cur: CanaryRecord | null,
  arm: CanaryArm | null,
  baseline: string,
  version: number,
  now: number,
): CanaryRecord | null {
  const by = `rollback to snapshot ${version}`;
  if (!arm) {
    if (!isActive(cur)) return cur;
    const message = `canary ${cur.functionName}:${cur.functionVersion} ended by ${by}, which ran ${baseline} for every viewer`;
    return withEvent(cur, { at: now, kind: 'rolled-back', percent: 0, message }, 'rolled-back');
  }
  const fn = `${arm.functionName}:${arm.functionVersion}`;
  if (isActive(cur) && cur.id === arm.id && cur.percent === arm.percent) return cur;
  const ended =
    isActive(cur) && cur.id !== arm.id
      ? `; canary ${cur.functionName}:${cur.functionVersion} (${cur.id}) that ran here ended`
      : '';
  const message = `${fn} runs for ${arm.percent}% of viewers again, ${baseline} for the rest (${by})${ended}`;
  if (cur?.id === arm.id) {
    // Its next step waits a whole interval from now, as after any step.
    const state = cur.steps.some((p) => p > arm.percent) ? 'stepping' : 'holding';
    return { ...withEvent(cur, { at: now, kind: 'started', percent: arm.percent, message }, state), stepAt: now };
  }
  return {
    id: arm.id,
    functionName: arm.functionName,
    functionVersion: arm.functionVersion,
    percent: arm.percent,
    steps: [arm.percent],
    stepIntervalMs: null,
    autoRollback: false,
    state: 'holding',
    startedAt: now,
    stepAt: now,
    events: [
      {
        at: now,
        kind: 'started',
        percent: arm.percent,
        message: `${message}; its steps and auto-rollback were not kept (the trigger was replaced since): it holds until promoted or rolled back`,
      },
    ],
  };
}
