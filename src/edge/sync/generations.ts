/**
 * @module edge/sync/generations
 * Distributions as a managed PoP keeps them: one generation at a time per distribution (the
 * snapshot version that carried its last change, protocol.ts `generations`), each with the
 * bundles and KeyValueStore blobs it needs. A snapshot is split into these parts so the PoP can
 * activate, refuse and keep each distribution on its own; several generations of each are kept
 * on disk so one corrupt file costs one distribution, not the PoP:
 *
 *   <dataDir>/snapshot/state.json                    { version, distributions: { id: generation } }
 *   <dataDir>/snapshot/dists/<id>/<generation>.json  a DistGeneration with its checksum
 *
 * Both are written to a temporary name and renamed; a generation file is verified against its
 * checksum (and its blobs against their hashes) before it is used.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DistributionConfig, FunctionConfig } from '../../shared/config/types.js';
import { VergeError } from '../../shared/errors.js';
import {
  BUNDLE_PREFIX,
  KVS_PREFIX,
  canonicalJson,
  type BundleRef,
  type Snapshot,
} from '../../shared/replication/protocol.js';
import { atomicWrite, checkSha, sha256Hex } from './local-store.js';

/** Generations kept on disk per distribution (the active one and older ones to fall back to). */
export const KEEP_GENERATIONS = 3;

export interface DistGeneration {
  id: string;
  generation: number;
  /** As the control plane sent it (`bundle:<sha256>` paths). */
  config: DistributionConfig;
  bundles: Record<string, BundleRef>;
  kvs: Snapshot['kvs'];
}

export interface ActiveState {
  version: number;
  distributions: Record<string, number>;
}

function behaviorsOf(d: DistributionConfig) {
  return [d.defaultCacheBehavior, ...(d.cacheBehaviors ?? [])].filter(Boolean);
}

function functionsOf(d: DistributionConfig): FunctionConfig[] {
  return behaviorsOf(d).flatMap((b) =>
    (b.functionAssociations ?? []).map((a) => (typeof a.function === 'string' ? { path: a.function } : a.function)),
  );
}

/** Split a snapshot into its distributions' generations, each with only the blobs it uses. */
export function splitSnapshot(s: Snapshot): DistGeneration[] {
  const kvsBySha = new Map(Object.values(s.kvs).map((k) => [k.sha256, k] as const));
  return s.distributions.map((config) => {
    const bundles: Record<string, BundleRef> = {};
    const kvs: Snapshot['kvs'] = {};
    for (const f of functionsOf(config)) {
      if (typeof f.path === 'string' && f.path.startsWith(BUNDLE_PREFIX)) {
        const sha = f.path.slice(BUNDLE_PREFIX.length);
        const ref = s.bundles[sha];
        bundles[sha] = ref ?? { sha256: sha, size: -1, name: f.name ?? sha.slice(0, 12), version: f.version ?? '' };
      }
      const kp = f.kvs?.path;
      if (kp?.startsWith(KVS_PREFIX)) {
        const sha = kp.slice(KVS_PREFIX.length);
        const k = kvsBySha.get(sha) ?? { sha256: sha, keyCount: -1, name: f.kvs!.id };
        kvs[k.name] = k;
      }
    }
    return { id: config.id, generation: s.generations?.[config.id] ?? s.version, config, bundles, kvs };
  });
}

/** Join generations back into snapshot form (for compiling a plan from a mix of generations). */
export function joinGenerations(version: number, gens: readonly DistGeneration[]): Snapshot {
  const bundles: Record<string, BundleRef> = {};
  const kvs: Snapshot['kvs'] = {};
  for (const g of gens) {
    Object.assign(bundles, g.bundles);
    Object.assign(kvs, g.kvs);
  }
  return {
    protocol: 1,
    version,
    createdAt: '',
    checksum: '',
    reason: '',
    distributions: gens.map((g) => g.config),
    bundles,
    kvs,
    generations: Object.fromEntries(gens.map((g) => [g.id, g.generation])),
  };
}

export function sameGeneration(a: DistGeneration | undefined, b: DistGeneration): boolean {
  return a !== undefined && canonicalJson(a.config) === canonicalJson(b.config);
}

function checksumOf(g: DistGeneration): string {
  return sha256Hex(
    canonicalJson({ id: g.id, generation: g.generation, config: g.config, bundles: g.bundles, kvs: g.kvs }),
  );
}

/** A distribution id becomes a folder name: refuse anything that is not a plain name. */
function safeId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) || id.includes('..'))
    throw new VergeError('REPLICATION_FAILED', `distribution id "${id.slice(0, 80)}" is not a plain name`);
  return id;
}

/** The generations and the active state on disk. */
export class GenerationStore {
  readonly dir: string;
  readonly statePath: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'snapshot', 'dists');
    this.statePath = join(dataDir, 'snapshot', 'state.json');
  }

  async save(g: DistGeneration): Promise<void> {
    const file = join(this.dir, safeId(g.id), `${g.generation}.json`);
    // Mode 0600: a generation carries its functions' secret env values in plain text.
    await atomicWrite(file, Buffer.from(JSON.stringify({ ...g, checksum: checksumOf(g) })), 0o600);
  }

  async saveState(s: ActiveState): Promise<void> {
    await atomicWrite(this.statePath, Buffer.from(JSON.stringify(s)), 0o600);
  }

  /** The active state, or undefined when it is missing or unreadable (the caller falls back to the folders). */
  async loadState(): Promise<ActiveState | undefined> {
    try {
      const s = JSON.parse(await readFile(this.statePath, 'utf8')) as ActiveState;
      if (!Number.isInteger(s.version) || !s.distributions || typeof s.distributions !== 'object') return undefined;
      return s;
    } catch {
      return undefined;
    }
  }

  /** Generation numbers on disk for `id`, newest first. */
  async generations(id: string): Promise<number[]> {
    try {
      return (await readdir(join(this.dir, safeId(id))))
        .map((n) => /^(\d+)\.json$/.exec(n)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number)
        .sort((a, b) => b - a);
    } catch {
      return [];
    }
  }

  /** Distribution ids with a folder on disk. */
  async ids(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n));
    } catch {
      return [];
    }
  }

  /** One generation, verified against its checksum; throws REPLICATION_FAILED naming the file. */
  async load(id: string, generation: number): Promise<DistGeneration> {
    const file = join(this.dir, safeId(id), `${generation}.json`);
    let g: DistGeneration & { checksum?: string };
    try {
      g = JSON.parse(await readFile(file, 'utf8')) as DistGeneration & { checksum?: string };
    } catch (e) {
      throw new VergeError('REPLICATION_FAILED', `${file} is unreadable: ${(e as Error).message}`);
    }
    const { checksum, ...rest } = g;
    if (checksum !== checksumOf(rest) || rest.id !== id || rest.generation !== generation)
      throw new VergeError('REPLICATION_FAILED', `${file} does not match its checksum (damaged)`);
    for (const sha of Object.keys(rest.bundles)) checkSha(sha, 'bundle');
    return rest;
  }

  /** Keep the newest KEEP_GENERATIONS per active distribution (never the active one); drop the rest and removed distributions. */
  async prune(state: ActiveState): Promise<void> {
    for (const id of await this.ids()) {
      const active = state.distributions[id];
      if (active === undefined) {
        await rm(join(this.dir, id), { recursive: true, force: true });
        continue;
      }
      const gens = await this.generations(id);
      const keep = new Set([active, ...gens.filter((g) => g <= active).slice(0, KEEP_GENERATIONS)]);
      for (const g of gens) if (!keep.has(g)) await rm(join(this.dir, id, `${g}.json`), { force: true });
    }
  }

  /** Every blob a kept generation references (what the blob prune must leave). */
  async referenced(): Promise<{ bundles: Set<string>; kvs: Set<string> }> {
    const bundles = new Set<string>();
    const kvs = new Set<string>();
    for (const id of await this.ids()) {
      for (const gen of await this.generations(id)) {
        try {
          const g = await this.load(id, gen);
          for (const sha of Object.keys(g.bundles)) bundles.add(sha);
          for (const k of Object.values(g.kvs)) kvs.add(k.sha256);
        } catch {
          // A damaged generation is never used; its blobs may go.
        }
      }
    }
    return { bundles, kvs };
  }
}
