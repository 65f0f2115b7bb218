/**
 * @module edge/sync/managed-sync
 * A managed edge's replication loop (DESIGN section 4, src/shared/replication/protocol.ts):
 *
 *   boot:  last-known-good snapshot on disk ─▶ plan (served before the control plane is asked)
 *   loop:  register ─▶ watch?after=<applied> (SSE) ─▶ on `snapshot`: fetch, verify checksum,
 *          download missing bundles/KVS by hash, compile, pre-warm + swap (edge.applyPlan),
 *          persist as last-known-good, ack ─▶ on `invalidation`: invalidate, ack the count
 *          ─▶ stream lost: back off (with jitter) and resume from the applied version, on the
 *          next control replica when the current one is down (ControlClient.failover).
 *
 * Only the newest announced snapshot is applied (intermediate ones are skipped), one at a
 * time. Distributions are activated one by one by generation (activate.ts): a distribution whose
 * bundle fails its hash or whose function does not load keeps its previous generation and is
 * refused alone in the ack (`distributions[id].ok = false`), while every other distribution of
 * the snapshot goes live; a refused generation is not retried until the edge reconnects. A
 * snapshot that fails as a whole (bad checksum, unreachable) is refused with `ok: false`.
 * Several generations of each distribution stay on disk (generations.ts): at boot a damaged one
 * costs that distribution its newest generation, not the PoP its distributions.
 */
import { VergeError, toVergeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { Snapshot, WatchInvalidationEvent, WatchSnapshotEvent } from '../../shared/replication/protocol.js';
import type { EdgePlan } from '../config/plan.js';
import type { DistributionAck } from '../../shared/replication/protocol.js';
import { WatchInvalidationEventSchema } from '../../shared/replication/schemas.js';
import { checkSchema } from '../../shared/schema/check.js';
import { activate, type Wanted } from './activate.js';
import { ControlClient } from './control-client.js';
import { GenerationStore, joinGenerations, sameGeneration, splitSnapshot, type DistGeneration } from './generations.js';
import { LocalStore } from './local-store.js';
import { emptyPlan, planFromSnapshot, verifySnapshot } from './snapshot-plan.js';
import type { WatchSource } from './nats-watch.js';
import type { SseEvent } from './sse.js';

/** The part of an Edge the loop drives (structural, so this module never imports the edge). */
export interface SyncTarget {
  /** Load every function, then swap atomically; throws and keeps the old plan on failure. */
  applyPlan(plan: EdgePlan): Promise<void>;
  /** Objects removed; a PoP of several workers (edge/workers) answers once every worker has. */
  invalidate(req: {
    distributionId: string;
    paths?: readonly string[];
    tags?: readonly string[];
  }): number | Promise<number>;
}

export interface ManagedSyncOptions {
  control: ControlClient | { url: string | readonly string[]; token: string };
  pop: string;
  region: string;
  location?: string;
  dataDir: string;
  logger: Logger;
  edgeVersion?: string;
  /** Reconnect backoff: first delay and cap (defaults 250 ms and 10 s). */
  backoffMs?: { initial: number; max: number };
  /** A watch stream silent this long is taken for dead (default 45 s; the server pings every 15 s). */
  idleMs?: number;
  /**
   * Where snapshot and invalidation announcements come from instead of the control plane's SSE
   * watch: `NatsWatch` (`verge edge --nats`). Registration, bodies, bundles and acks stay HTTP.
   */
  watchSource?: WatchSource;
  /** Called after a snapshot is live (for the CLI's output). */
  onApplied?: (version: number, ms: number) => void;
  onRefused?: (version: number, error: VergeError) => void;
}

export interface SyncStatus {
  appliedVersion: number;
  connected: boolean;
  lastError: string | null;
  lastAppliedAt: number | null;
}

export class ManagedSync {
  readonly client: ControlClient;
  readonly store: LocalStore;
  readonly #o: ManagedSyncOptions;
  #target: SyncTarget | null = null;
  #applied = 0;
  #wanted: WatchSnapshotEvent | null = null;
  #failed = new Set<number>();
  #unacked: Ack | null = null;
  /** What is live, per distribution. */
  #active = new Map<string, DistGeneration>();
  /** Generations refused since the last register: not tried again until then. */
  #refused = new Map<string, { generation: number; error: string }>();
  readonly gens: GenerationStore;
  #applying: Promise<void> | null = null;
  #status: SyncStatus = { appliedVersion: 0, connected: false, lastError: null, lastAppliedAt: null };
  #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #side = new Set<Promise<unknown>>();
  #waiters: Array<{ version: number; resolve: () => void }> = [];

  constructor(opts: ManagedSyncOptions) {
    this.#o = opts;
    this.client = opts.control instanceof ControlClient ? opts.control : new ControlClient(opts.control);
    this.store = new LocalStore(opts.dataDir);
    this.gens = new GenerationStore(opts.dataDir);
  }

  get appliedVersion(): number {
    return this.#applied;
  }
  status(): SyncStatus {
    return { ...this.#status, appliedVersion: this.#applied };
  }

  /**
   * What to serve before the control plane is asked: per distribution, the newest generation on
   * disk that is whole (its file matches its checksum, its blobs their hashes), falling back to an
   * older one for a distribution whose newest is damaged. `plan` is those first choices compiled;
   * `restore(target)` activates them with per-distribution fallback when a function does not load.
   */
  async boot(): Promise<{ plan: EdgePlan; version: number; wanted: Wanted[]; compiled: boolean }> {
    const state = (await this.gens.loadState()) ?? (await this.#legacyState());
    const wanted: Wanted[] = [];
    const ids = state ? Object.keys(state.distributions) : await this.gens.ids();
    for (const id of ids.sort()) {
      const top = state?.distributions[id];
      const choices: DistGeneration[] = [];
      for (const gen of await this.gens.generations(id)) {
        if (top !== undefined && gen > top) continue;
        try {
          const g = await this.gens.load(id, gen);
          for (const sha of Object.keys(g.bundles)) await this.#requireOnDisk(this.store.bundlePath(sha), sha);
          for (const k of Object.values(g.kvs)) await this.#requireOnDisk(this.store.kvsPath(k.sha256), k.sha256);
          choices.push(g);
        } catch (e) {
          this.#o.logger.log('error', 'a stored generation is damaged; trying an older one', {
            distribution: id,
            generation: gen,
            error: toVergeError(e).message,
          });
        }
      }
      if (choices.length > 0) wanted.push({ id, choices });
      else
        this.#o.logger.log('error', 'no usable generation on disk; the distribution waits for the control plane', {
          distribution: id,
        });
    }
    // Without a readable state, the newest generation found stands for the version served.
    const newest = Math.max(0, ...wanted.map((w) => w.choices[0]!.generation));
    const version = wanted.length > 0 ? (state?.version ?? newest) : 0;
    let plan = emptyPlan();
    let compiled = true;
    try {
      plan = planFromSnapshot(
        joinGenerations(
          version,
          wanted.map((w) => w.choices[0]!),
        ),
        this.store,
      );
    } catch (e) {
      compiled = false;
      this.#o.logger.log('error', 'stored distributions do not compile together; restore() sorts them out', {
        error: toVergeError(e).message,
      });
    }
    this.#applied = version;
    if (version > 0)
      this.#o.logger.log('info', 'booting from last-known-good generations', { version, distributions: wanted.length });
    this.#bootWanted = wanted;
    return { plan, version, wanted, compiled };
  }

  /** The edge started with the boot plan as it is: every first choice is live. */
  adoptBoot(): void {
    this.#active = new Map(this.#bootWanted.map((w) => [w.id, w.choices[0]!] as const));
  }

  #bootWanted: Wanted[] = [];

  /**
   * Activate the boot choices on `target` one distribution at a time (after `boot()`), so a
   * distribution whose stored functions no longer load costs only itself. Returns the version.
   */
  async restore(target: SyncTarget): Promise<number> {
    const a = await activate(target, this.store, this.#applied, new Map(), this.#bootWanted);
    this.#active = a.active;
    for (const [id, r] of Object.entries(a.results))
      if (!r.ok)
        this.#o.logger.log('error', 'a stored distribution did not load', { distribution: id, error: r.error });
    if (a.active.size === 0) this.#applied = 0;
    return this.#applied;
  }

  /** The edge could not load the boot plan at all: forget it so the control plane sends a fresh one. */
  forgetBoot(): void {
    this.#applied = 0;
    this.#active.clear();
  }

  /** A last-known-good.json from before generations: read once as the state to start from. */
  async #legacyState() {
    try {
      const s = await this.store.loadLastKnownGood();
      if (!s) return undefined;
      verifySnapshot(s);
      const parts = splitSnapshot(s);
      for (const g of parts) await this.gens.save(g);
      return { version: s.version, distributions: Object.fromEntries(parts.map((g) => [g.id, g.generation])) };
    } catch {
      return undefined;
    }
  }

  /** Begin registering and watching in the background. */
  start(target: SyncTarget): void {
    if (this.#loop) throw new Error('ManagedSync already started');
    this.#target = target;
    this.#loop = this.#run();
  }

  /** Resolves once a snapshot at or above `version` is live (for tests and `verge up`). */
  waitForVersion(version: number, timeoutMs = 10_000): Promise<void> {
    if (this.#applied >= version) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`snapshot ${version} not applied within ${timeoutMs} ms (at ${this.#applied})`)),
        timeoutMs,
      );
      this.#waiters.push({ version, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await this.#applying;
    await Promise.allSettled([...this.#side]);
  }

  async #run(): Promise<void> {
    const backoff = this.#o.backoffMs ?? { initial: 250, max: 10_000 };
    let delay = backoff.initial;
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        await this.client.register({
          pop: this.#o.pop,
          region: this.#o.region,
          ...(this.#o.location ? { location: this.#o.location } : {}),
          appliedVersion: this.#applied,
          edgeVersion: this.#o.edgeVersion ?? '0.1.0',
        });
        if (signal.aborted) break;
        this.#failed.clear();
        this.#refused.clear();
        if (this.#unacked) this.#track(this.#ack(this.#unacked));
        await (this.#o.watchSource ?? this.client).watch(this.#applied, (ev) => this.#onEvent(ev), {
          signal,
          ...(this.#o.idleMs !== undefined ? { idleMs: this.#o.idleMs } : {}),
          onOpen: () => {
            delay = backoff.initial;
            this.#status.connected = true;
          },
        });
      } catch (e) {
        const err = toVergeError(e);
        // With several replicas, a down one hands over to the next; the resume is the same as
        // reconnecting (register, then watch after the applied version; unsent acks go with it).
        const moved = this.client.failover(e);
        if (moved?.first)
          this.#o.logger.log('warn', `control plane ${moved.from} failed; moving to ${moved.to}`, {
            error: err.message,
            retryMs: delay,
          });
        else if (this.#status.lastError !== err.message)
          this.#o.logger.log('warn', 'control plane connection lost; retrying', { error: err.message, retryMs: delay });
        this.#status.lastError = err.message;
      }
      this.#status.connected = false;
      if (signal.aborted) break;
      await sleep(delay * (0.75 + Math.random() * 0.5), signal);
      delay = Math.min(delay * 2, backoff.max);
    }
  }

  #onEvent(ev: SseEvent): void {
    try {
      if (ev.event === 'snapshot') {
        const s = JSON.parse(ev.data) as WatchSnapshotEvent;
        if (!Number.isInteger(s.version)) return;
        if (s.version > this.#applied && (!this.#wanted || s.version > this.#wanted.version)) this.#wanted = s;
        this.#kick();
      } else if (ev.event === 'invalidation') {
        // Over NATS this is whatever was written to the stream: only the control plane's shape
        // is acted on (no id to acknowledge, or paths that are not strings, would act blind).
        const inv: unknown = JSON.parse(ev.data);
        const problem = checkSchema(WatchInvalidationEventSchema, inv)[0];
        if (problem) throw new Error(`not an invalidation: ${problem.path} ${problem.message}`);
        this.#track(this.#invalidate(inv as WatchInvalidationEvent));
      } else if (ev.event === 'resync') {
        // Invalidations were lost (older than the bus's replay window): drop every cached object.
        for (const id of this.#active.keys()) this.#track(this.#dropAll(id));
      }
    } catch (e) {
      this.#o.logger.log('warn', 'bad event on the watch stream', { event: ev.event, error: (e as Error).message });
    }
  }

  #kick(): void {
    if (this.#applying) return;
    this.#applying = this.#drain().finally(() => {
      this.#applying = null;
      // An event may have arrived during the last await.
      if (
        this.#wanted &&
        this.#wanted.version > this.#applied &&
        !this.#failed.has(this.#wanted.version) &&
        !this.#stop.signal.aborted
      )
        this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#wanted && this.#wanted.version > this.#applied && !this.#failed.has(this.#wanted.version)) {
      if (this.#stop.signal.aborted) return;
      const want = this.#wanted;
      const started = performance.now();
      try {
        const { s, results } = await this.#apply(want);
        const ms = performance.now() - started;
        const refused = Object.entries(results).filter(([, r]) => !r.ok);
        this.#o.logger.log(refused.length > 0 ? 'warn' : 'info', 'snapshot applied', {
          version: s.version,
          ms: Math.round(ms),
          distributions: s.distributions.length,
          ...(refused.length > 0 ? { refused: Object.fromEntries(refused.map(([id, r]) => [id, r.error])) } : {}),
        });
        this.#o.onApplied?.(s.version, ms);
        for (const [id, r] of refused)
          this.#o.onRefused?.(s.version, new VergeError('FUNCTION_LOAD_ERROR', `distribution ${id}: ${r.error}`));
        await this.#ack({
          version: s.version,
          ok: refused.length === 0,
          ...(refused.length > 0
            ? { error: refused.map(([id, r]) => `distribution ${id}: ${r.error}`).join('; ') }
            : {}),
          distributions: results,
        });
      } catch (e) {
        const err = toVergeError(e);
        this.#failed.add(want.version);
        // A pointer to a snapshot the control plane cannot give (one written to the bus by
        // someone else) must not shadow the genuine, lower versions announced after it.
        if (this.#wanted === want) this.#wanted = null;
        this.#status.lastError = err.message;
        this.#o.logger.log('error', 'snapshot refused; the previous one keeps serving', {
          version: want.version,
          error: err.message,
        });
        this.#o.onRefused?.(want.version, err);
        await this.#ack({ version: want.version, ok: false, error: `${err.code}: ${err.message}` });
      }
    }
  }

  async #apply(want: WatchSnapshotEvent): Promise<{ s: Snapshot; results: Record<string, DistributionAck> }> {
    const s = verifySnapshot(await this.client.snapshot(want.version), want);
    const wanted: Wanted[] = [];
    const jobs: Array<() => Promise<void>> = [];
    for (const g of splitSnapshot(s)) {
      const w: Wanted = { id: g.id, choices: [g] };
      wanted.push(w);
      if (sameGeneration(this.#active.get(g.id), g)) continue;
      const before = this.#refused.get(g.id);
      if (before?.generation === g.generation) {
        w.blocked = before.error;
        continue;
      }
      // A blob that fails its hash refuses its distribution only.
      const block = (e: unknown) => {
        const err = toVergeError(e);
        w.blocked ??= `${err.code}: ${err.message}`;
      };
      for (const [sha, ref] of Object.entries(g.bundles)) {
        const label = `bundle ${ref.name}:${ref.version}`;
        const size = ref.size >= 0 ? ref.size : undefined;
        jobs.push(() =>
          this.#fetchBlob(this.store.bundlePath(sha), sha, label, () => this.client.bundle(sha), size).catch(block),
        );
      }
      for (const k of Object.values(g.kvs)) {
        const label = `key-value store ${k.name}`;
        jobs.push(() =>
          this.#fetchBlob(this.store.kvsPath(k.sha256), k.sha256, label, () => this.client.kvs(k.sha256)).catch(block),
        );
      }
    }
    await runLimited(jobs, 4);
    const a = await activate(this.#target!, this.store, s.version, this.#active, wanted);
    for (const [id, r] of Object.entries(a.results))
      if (!r.ok) this.#refused.set(id, { generation: r.wanted, error: r.error ?? 'refused' });
    this.#active = a.active;
    this.#applied = s.version;
    this.#status.lastAppliedAt = Date.now();
    this.#status.lastError = null;
    // What is live whatever happens next; a failed write only costs the restart path.
    await this.#persist(s.version).catch((e: Error) =>
      this.#o.logger.log('error', 'could not persist the last-known-good generations', {
        version: s.version,
        error: e.message,
      }),
    );
    this.#waiters = this.#waiters.filter((w) => (w.version <= s.version ? (w.resolve(), false) : true));
    return { s, results: a.results };
  }

  /** Write the live generations and the state, drop old generations and blobs none of them uses. */
  async #persist(version: number): Promise<void> {
    for (const g of this.#active.values()) {
      if (!(await this.gens.generations(g.id)).includes(g.generation)) await this.gens.save(g);
    }
    const state = {
      version,
      distributions: Object.fromEntries([...this.#active].map(([id, g]) => [id, g.generation])),
    };
    await this.gens.saveState(state);
    await this.gens.prune(state);
    const keep = await this.gens.referenced();
    await this.store.prune(keep.bundles, keep.kvs).catch(() => 0);
  }

  async #fetchBlob(path: string, sha: string, what: string, get: () => Promise<Buffer>, size?: number): Promise<void> {
    if (await this.store.has(path, sha)) return;
    await this.store.put(path, await get(), sha, what, size);
  }

  async #requireOnDisk(path: string, sha: string): Promise<void> {
    if (!(await this.store.has(path, sha)))
      throw new VergeError('REPLICATION_FAILED', `${path} is missing or does not hash to ${sha.slice(0, 12)}`);
  }

  async #ack(a: Ack): Promise<void> {
    try {
      await this.client.ack({ pop: this.#o.pop, ...a });
      if (this.#unacked?.version === a.version) this.#unacked = null;
    } catch (e) {
      // Sent again after the next successful register.
      this.#unacked = a;
      this.#o.logger.log('warn', 'ack not delivered; will resend', {
        version: a.version,
        error: toVergeError(e).message,
      });
    }
  }

  /** Drop distribution `id`'s cached objects; a PoP of several workers answers with a promise that may fail. */
  async #dropAll(id: string): Promise<void> {
    try {
      await this.#target!.invalidate({ distributionId: id, paths: ['/*'] });
    } catch (e) {
      this.#o.logger.log('warn', 'cache not dropped after a resync', {
        distribution: id,
        error: toVergeError(e).message,
      });
    }
  }

  async #invalidate(ev: WatchInvalidationEvent): Promise<void> {
    let removed = 0;
    try {
      removed = await this.#target!.invalidate({
        distributionId: ev.distributionId,
        paths: ev.paths ?? [],
        tags: ev.tags ?? [],
      });
    } catch (e) {
      this.#o.logger.log('warn', 'invalidation refused', { id: ev.id, error: toVergeError(e).message });
    }
    for (let attempt = 0; attempt < 5 && !this.#stop.signal.aborted; attempt++) {
      try {
        return await this.client.invalidationAck(ev.id, { pop: this.#o.pop, removed });
      } catch (e) {
        this.#o.logger.log('warn', 'invalidation ack not delivered', {
          id: ev.id,
          attempt,
          error: toVergeError(e).message,
        });
        await sleep(250 * 2 ** attempt, this.#stop.signal);
      }
    }
  }

  #track(p: Promise<unknown>): void {
    this.#side.add(p);
    void p.finally(() => this.#side.delete(p));
  }
}

type Ack = { version: number; ok: boolean; error?: string; distributions?: Record<string, DistributionAck> };

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Run async jobs with at most `n` at a time; the first failure rejects (others finish quietly). */
async function runLimited(jobs: Array<() => Promise<void>>, n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
}
