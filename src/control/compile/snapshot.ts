/**
 * @module control/compile/snapshot
 * Builds the next immutable, numbered Snapshot (protocol.ts) from the store: every distribution
 * with its triggers compiled into `functionAssociations` (`function.path = "bundle:<sha256>"`,
 * the version's settings, its KeyValueStore as `kvs:<sha256>`), the bundles and KVS data it
 * needs, the public keys of the key groups its behaviors trust (`keyGroups`), and a checksum
 * over canonicalJson. Each compiled config is validated with
 * `validateDistribution` before it is stored, so a bad config never reaches an edge. Runs inside
 * the caller's transaction: a refused snapshot rolls the change back.
 */
import { createHash } from 'node:crypto';
import type { DistributionConfig, FunctionAssociationConfig, FunctionConfig } from '../../shared/config/types.js';
import { validateDistribution } from '../../shared/config/validate.js';
import { missingOacKeysMessage, oacKeysFromEnv } from '../../shared/config/origin-access.js';
import { VergeError } from '../../shared/errors.js';
import { EVENT_TYPES } from '../../shared/lambda-edge/index.js';
import {
  BUNDLE_PREFIX,
  KVS_PREFIX,
  PROTOCOL_VERSION,
  canonicalJson,
  type BundleRef,
  type Snapshot,
} from '../../shared/replication/protocol.js';
import type { SecretBox } from '../auth/secret-box.js';
import { isActive } from '../domain/canary.js';
import { keyGroupsFor } from '../domain/key-groups.js';
import type { Store, TriggerRecord, VersionRecord } from '../store/types.js';
import { mapSecrets } from './secrets.js';

export const DEFAULT_BEHAVIOR = 'default';

export interface SnapshotContent {
  distributions: DistributionConfig[];
  bundles: Record<string, BundleRef>;
  kvs: Snapshot['kvs'];
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function checksumOf(version: number, c: SnapshotContent, generations?: Record<string, number>): string {
  return sha256Hex(
    canonicalJson({ version, distributions: c.distributions, bundles: c.bundles, kvs: c.kvs, generations }),
  );
}

/** KVS data as stored for edges: canonical JSON of key → value, addressed by its sha256. */
export function kvsBlob(data: Record<string, string>): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(canonicalJson(data));
  return { bytes, sha256: sha256Hex(bytes) };
}

interface Build {
  store: Store;
  box: SecretBox;
  bundles: Record<string, BundleRef>;
  kvs: Snapshot['kvs'];
}

async function functionConfig(b: Build, v: VersionRecord): Promise<FunctionConfig> {
  const s = v.settings;
  const secretNames = Object.keys(s.secrets).sort();
  const env = { ...s.env };
  for (const k of secretNames) env[k] = b.box.open(s.secrets[k]!);
  const f: FunctionConfig = {
    path: BUNDLE_PREFIX + v.sha256,
    name: v.name,
    version: String(v.version),
    handler: s.handler,
    runtime: s.runtime,
  };
  if (Object.keys(env).length > 0) f.env = env;
  if (secretNames.length > 0) f.secretNames = secretNames;
  if (s.profile !== null) f.profile = s.profile;
  if (s.timeoutMs !== null) f.timeoutMs = s.timeoutMs;
  if (s.memoryMB !== null) f.memoryMB = s.memoryMB;
  if (s.concurrency !== null) f.concurrency = s.concurrency;
  // Versions published before egress existed have no field: public addresses only.
  if (s.egress) f.egress = { allow: [...s.egress.allow] };
  if (s.kvs !== null) {
    const store = await b.store.kvs.get(s.kvs);
    if (!store)
      throw new VergeError(
        'VALIDATION_FAILED',
        `function ${v.name}:${v.version} uses KeyValueStore ${s.kvs}, which does not exist`,
      );
    const blob = kvsBlob(store.data);
    await b.store.blobs.put(blob.sha256, 'kvs', blob.bytes);
    b.kvs[store.name] = { sha256: blob.sha256, keyCount: Object.keys(store.data).length, name: store.name };
    f.kvs = { id: store.name, path: KVS_PREFIX + blob.sha256 };
  }
  b.bundles[v.sha256] ??= { sha256: v.sha256, size: v.size, name: v.name, version: String(v.version) };
  return f;
}

async function association(
  b: Build,
  t: TriggerRecord,
  name: string,
  version: number,
): Promise<FunctionAssociationConfig> {
  const v = await b.store.functions.version(name, version);
  if (!v) {
    throw new VergeError('VALIDATION_FAILED', `trigger ${t.id} names ${name}:${version}, which does not exist`);
  }
  const a: FunctionAssociationConfig = { eventType: t.eventType, function: await functionConfig(b, v) };
  if (t.includeBody) a.includeBody = true;
  return a;
}

/** A trigger's associations: its version, and while a canary runs, the canary's arm next to it. */
async function associations(b: Build, t: TriggerRecord): Promise<FunctionAssociationConfig[]> {
  const out = [await association(b, t, t.functionName, t.functionVersion)];
  const c = t.canary;
  if (isActive(c))
    out.push({
      ...(await association(b, t, c.functionName, c.functionVersion)),
      canary: { id: c.id, percent: c.percent },
    });
  return out;
}

/** The distribution as edges receive it: its config plus its triggers and trusted key groups, validated. */
async function compileDistribution(
  b: Build,
  config: DistributionConfig,
  triggers: TriggerRecord[],
): Promise<DistributionConfig> {
  const d = structuredClone(config);
  const keyGroups = await keyGroupsFor(b.store, d);
  if (keyGroups) d.keyGroups = keyGroups;
  const order = (t: TriggerRecord) => EVENT_TYPES.indexOf(t.eventType);
  for (const t of [...triggers].sort((x, y) => order(x) - order(y))) {
    const behavior =
      t.behavior === DEFAULT_BEHAVIOR
        ? d.defaultCacheBehavior
        : d.cacheBehaviors?.find((c) => c.pathPattern === t.behavior);
    if (!behavior)
      throw new VergeError('VALIDATION_FAILED', `trigger ${t.id}: distribution ${d.id} has no behavior ${t.behavior}`);
    (behavior.functionAssociations ??= []).push(...(await associations(b, t)));
  }
  addOriginKeys(d);
  const r = validateDistribution(d);
  if (!r.ok) {
    const problems = r.problems.map((p) => ({ ...p, message: `distribution ${d.id} as compiled: ${p.message}` }));
    throw new VergeError(
      'VALIDATION_FAILED',
      `the change would give distribution ${d.id} an invalid config: ${problems[0]!.path}: ${problems[0]!.message}`,
      {
        details: { fields: problems },
      },
    );
  }
  return d;
}

/**
 * Origin access control: each origin's credential set from the control plane's environment,
 * into the edges' copy (sealed at rest by mapSecrets); a missing set refuses the change.
 */
function addOriginKeys(d: DistributionConfig, env: NodeJS.ProcessEnv = process.env): void {
  d.origins.forEach((o, i) => {
    const ac = o.originAccessControl;
    if (!ac) return;
    const keys = oacKeysFromEnv(ac.credentials, env);
    if (!keys) {
      const path = `$.origins[${i}].originAccessControl.credentials`;
      const message = missingOacKeysMessage(ac.credentials, 'the control plane');
      throw new VergeError('VALIDATION_FAILED', `distribution ${d.id}: ${path}: ${message}`, {
        details: { fields: [{ path, message }] },
      });
    }
    ac.keys = keys;
  });
}

/** The content the store describes now (secrets in plain text: only ever kept in memory). */
export async function currentContent(store: Store, box: SecretBox): Promise<SnapshotContent> {
  const b: Build = { store, box, bundles: {}, kvs: {} };
  const distributions: DistributionConfig[] = [];
  for (const d of await store.distributions.list()) {
    distributions.push(await compileDistribution(b, d.config, await store.triggers.list({ distributionId: d.id })));
  }
  return { distributions, bundles: b.bundles, kvs: b.kvs };
}

/** A stored snapshot with its secrets opened. */
export async function openSnapshot(store: Store, box: SecretBox, version: number): Promise<Snapshot | undefined> {
  const rec = await store.snapshots.get(version);
  if (!rec) return undefined;
  return mapSecrets(JSON.parse(rec.document) as Snapshot, (v) => box.open(v));
}

/**
 * Store the next snapshot when the content differs from the latest one, and record which
 * distributions it changed (their `changedIn`, which drives InProgress/Deployed). Returns the
 * new version, or undefined when nothing that edges see changed.
 */
export async function commitSnapshot(
  store: Store,
  box: SecretBox,
  now: number,
  reason: string,
  given?: SnapshotContent,
): Promise<number | undefined> {
  const content = given ?? (await currentContent(store, box));
  const latest = await store.snapshots.latestVersion();
  const prev = latest > 0 ? await openSnapshot(store, box, latest) : undefined;
  const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
  if (
    prev &&
    same(
      { d: prev.distributions, b: prev.bundles, k: prev.kvs },
      { d: content.distributions, b: content.bundles, k: content.kvs },
    )
  ) {
    return undefined;
  }
  const version = latest + 1;
  const before = new Map((prev?.distributions ?? []).map((d) => [d.id, canonicalJson(d)]));
  const generations: Record<string, number> = {};
  for (const d of content.distributions) {
    const changed = before.get(d.id) !== canonicalJson(d);
    if (changed) await store.distributions.setChangedIn(d.id, version);
    generations[d.id] = changed ? version : ((await store.distributions.get(d.id))?.changedIn ?? version);
  }
  const snapshot: Snapshot = {
    protocol: PROTOCOL_VERSION,
    version,
    createdAt: new Date(now).toISOString(),
    checksum: checksumOf(version, content, generations),
    distributions: content.distributions,
    bundles: content.bundles,
    kvs: content.kvs,
    reason,
    generations,
  };
  const sealed = mapSecrets(snapshot, (v) => box.seal(v));
  await store.snapshots.insert({
    version,
    createdAt: now,
    checksum: snapshot.checksum,
    reason,
    document: JSON.stringify(sealed),
  });
  // In the same transaction: other replicas and the NATS relay learn of it from the outbox.
  await store.outbox.add({ kind: 'snapshot', version, checksum: snapshot.checksum, generations }, now);
  return version;
}
