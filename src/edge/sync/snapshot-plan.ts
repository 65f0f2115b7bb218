/**
 * @module edge/sync/snapshot-plan
 * From a replication Snapshot (src/shared/replication/protocol.ts) to the EdgePlan the edge
 * serves: check the document (protocol, version, checksum over canonicalJson), list the blobs
 * it references, rewrite `bundle:<sha256>` / `kvs:<sha256>` paths to the local copies, and
 * compile with the same compiler static mode uses. Pure apart from the paths it computes.
 */
import type { DefaultCacheBehaviorConfig, DistributionConfig, FunctionConfig } from '../../shared/config/types.js';
import { VergeError } from '../../shared/errors.js';
import {
  BUNDLE_PREFIX,
  KVS_PREFIX,
  PROTOCOL_VERSION,
  canonicalJson,
  type Snapshot,
} from '../../shared/replication/protocol.js';
import { compilePlan } from '../config/compile.js';
import type { EdgePlan } from '../config/plan.js';
import { checkSha, sha256Hex } from './local-store.js';

/** The plan of an edge that has no snapshot yet: every host gets 403 (no distribution). */
export function emptyPlan(): EdgePlan {
  return compilePlan([]);
}

export function snapshotChecksum(
  s: Pick<Snapshot, 'version' | 'distributions' | 'bundles' | 'kvs' | 'generations'>,
): string {
  return sha256Hex(
    canonicalJson({
      version: s.version,
      distributions: s.distributions,
      bundles: s.bundles,
      kvs: s.kvs,
      generations: s.generations,
    }),
  );
}

/** Check shape and checksum; `expect` is what the watch event announced. Throws REPLICATION_FAILED. */
export function verifySnapshot(doc: unknown, expect?: { version: number; checksum?: string }): Snapshot {
  const s = doc as Snapshot;
  const bad = (why: string) =>
    new VergeError('REPLICATION_FAILED', `snapshot ${expect?.version ?? s?.version ?? '?'} refused: ${why}`);
  if (!s || typeof s !== 'object') throw bad('not a JSON object');
  if (s.protocol !== PROTOCOL_VERSION)
    throw bad(`protocol ${String(s.protocol)}, this edge speaks ${PROTOCOL_VERSION}`);
  if (!Number.isInteger(s.version) || s.version < 0) throw bad('no version number');
  if (expect && s.version !== expect.version) throw bad(`the document says version ${s.version}`);
  if (
    !Array.isArray(s.distributions) ||
    typeof s.bundles !== 'object' ||
    typeof s.kvs !== 'object' ||
    !s.bundles ||
    !s.kvs
  ) {
    throw bad('distributions, bundles or kvs missing');
  }
  const sum = snapshotChecksum(s);
  if (sum !== s.checksum)
    throw bad(
      `checksum mismatch (document says ${String(s.checksum).slice(0, 12)}, content hashes to ${sum.slice(0, 12)})`,
    );
  if (expect?.checksum !== undefined && expect.checksum !== s.checksum)
    throw bad('checksum differs from the one announced');
  return s;
}

export interface BlobRefs {
  /** sha256 → expected size (when the snapshot lists it) and a label for messages. */
  bundles: Map<string, { size?: number; label: string }>;
  kvs: Map<string, { label: string }>;
}

/** Every bundle and KVS blob the snapshot needs on disk: its tables plus every path it names. */
export function snapshotRefs(s: Snapshot): BlobRefs {
  const refs: BlobRefs = { bundles: new Map(), kvs: new Map() };
  for (const [key, b] of Object.entries(s.bundles)) {
    refs.bundles.set(checkSha(b.sha256 ?? key, 'bundle'), { size: b.size, label: `${b.name}:${b.version}` });
  }
  for (const [key, k] of Object.entries(s.kvs))
    refs.kvs.set(checkSha(k.sha256 ?? key, 'key-value store'), { label: k.name });
  for (const f of functions(s.distributions)) {
    const sha = bundleSha(f.path);
    if (!refs.bundles.has(sha)) refs.bundles.set(sha, { label: f.name ?? sha.slice(0, 12) });
    const kvs = f.kvs?.path;
    if (kvs !== undefined) {
      const k = kvsSha(kvs);
      if (!refs.kvs.has(k)) refs.kvs.set(k, { label: f.kvs!.id });
    }
  }
  return refs;
}

export interface LocalPaths {
  bundlePath(sha: string): string;
  kvsPath(sha: string): string;
  readonly dataDir: string;
}

/** The snapshot's distributions with content-addressed paths swapped for local files (a deep copy). */
export function localizeDistributions(s: Snapshot, paths: LocalPaths): DistributionConfig[] {
  const out = structuredClone(s.distributions);
  const bySha = new Map(Object.values(s.bundles).map((b) => [b.sha256, b] as const));
  for (const d of out) {
    for (const b of behaviors(d)) {
      for (const a of b.functionAssociations ?? []) {
        const f: FunctionConfig = typeof a.function === 'string' ? { path: a.function } : a.function;
        const sha = bundleSha(f.path);
        const ref = bySha.get(sha);
        f.path = paths.bundlePath(sha);
        if (f.name === undefined && ref) f.name = ref.name;
        if (f.version === undefined && ref) f.version = ref.version;
        if (f.kvs?.path !== undefined) f.kvs = { ...f.kvs, path: paths.kvsPath(kvsSha(f.kvs.path)) };
        a.function = f;
      }
    }
  }
  return out;
}

/** Localize and compile. Throws CONFIG_INVALID / CONFIG_DUPLICATE_ALIAS like static mode does. */
export function planFromSnapshot(s: Snapshot, paths: LocalPaths): EdgePlan {
  return compilePlan(localizeDistributions(s, paths).map((config) => ({ config, baseDir: paths.dataDir })));
}

function behaviors(d: DistributionConfig): DefaultCacheBehaviorConfig[] {
  return [d.defaultCacheBehavior, ...(d.cacheBehaviors ?? [])].filter(Boolean);
}

function functions(ds: readonly DistributionConfig[]): FunctionConfig[] {
  const out: FunctionConfig[] = [];
  for (const d of ds) {
    for (const b of behaviors(d)) {
      for (const a of b.functionAssociations ?? [])
        out.push(typeof a.function === 'string' ? { path: a.function } : a.function);
    }
  }
  return out;
}

/** Managed edges run only content-addressed code: a plain path would read the edge's own disk. */
function bundleSha(path: string): string {
  if (typeof path !== 'string' || !path.startsWith(BUNDLE_PREFIX)) {
    throw new VergeError('REPLICATION_FAILED', `function path "${String(path)}" is not "${BUNDLE_PREFIX}<sha256>"`);
  }
  return checkSha(path.slice(BUNDLE_PREFIX.length), 'bundle');
}

function kvsSha(path: string): string {
  if (!path.startsWith(KVS_PREFIX))
    throw new VergeError('REPLICATION_FAILED', `key-value store path "${path}" is not "${KVS_PREFIX}<sha256>"`);
  return checkSha(path.slice(KVS_PREFIX.length), 'key-value store');
}
