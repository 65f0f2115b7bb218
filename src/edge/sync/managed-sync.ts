/**
 * @module edge/sync/managed-sync
 * A managed edge's replication loop (DESIGN section 4, src/shared/replication/protocol.ts):
 *
 *   boot:  last-known-good snapshot on disk ─▶ plan (served before the control plane is asked)
 *   loop:  register ─▶ watch?after=<applied> (SSE) ─▶ on `snapshot`: fetch, verify checksum,
 *          download missing bundles/KVS by hash, compile, pre-warm + swap (edge.applyPlan),
 *          persist as last-known-good, ack ─▶ on `invalidation`: invalidate, ack the count
 *          ─▶ stream lost: back off (with jitter) and resume from the applied version.
 *
 * Only the newest announced snapshot is applied (intermediate ones are skipped), one at a
 * time. A snapshot that fails anywhere (bad checksum, a bundle whose hash does not match, a
 * function that does not load) is refused with `ok: false` and the reason; the edge keeps the
 * plan it has and does not retry that version until it reconnects.
 */
import { VergeError, toVergeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { Snapshot, WatchInvalidationEvent, WatchSnapshotEvent } from '../../shared/replication/protocol.js';
import type { EdgePlan } from '../config/plan.js';
import { ControlClient } from './control-client.js';
import { LocalStore } from './local-store.js';
import { emptyPlan, planFromSnapshot, snapshotRefs, verifySnapshot } from './snapshot-plan.js';
import type { SseEvent } from './sse.js';

/** The part of an Edge the loop drives (structural, so this module never imports the edge). */
export interface SyncTarget {
  /** Load every function, then swap atomically; throws and keeps the old plan on failure. */
  applyPlan(plan: EdgePlan): Promise<void>;
  invalidate(req: { distributionId: string; paths?: readonly string[]; tags?: readonly string[] }): number;
}

export interface ManagedSyncOptions {
  control: ControlClient | { url: string; token: string };
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
  #unacked: { version: number; ok: boolean; error?: string } | null = null;
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
  }

  get appliedVersion(): number {
    return this.#applied;
  }
  status(): SyncStatus {
    return { ...this.#status, appliedVersion: this.#applied };
  }

  /**
   * The plan to start serving with: the last-known-good snapshot when it is on disk, whole and
   * loadable from local files; otherwise an empty plan (version 0). Never contacts the control plane.
   */
  async boot(): Promise<{ plan: EdgePlan; version: number }> {
    try {
      const s = await this.store.loadLastKnownGood();
      if (!s) return { plan: emptyPlan(), version: 0 };
      verifySnapshot(s);
      const refs = snapshotRefs(s);
      for (const sha of refs.bundles.keys()) await this.#requireOnDisk(this.store.bundlePath(sha), sha);
      for (const sha of refs.kvs.keys()) await this.#requireOnDisk(this.store.kvsPath(sha), sha);
      const plan = planFromSnapshot(s, this.store);
      this.#applied = s.version;
      this.#o.logger.log('info', 'booting from last-known-good snapshot', {
        version: s.version,
        distributions: s.distributions.length,
      });
      return { plan, version: s.version };
    } catch (e) {
      this.#o.logger.log('error', 'last-known-good snapshot unusable; starting with no distributions', {
        error: toVergeError(e).message,
      });
      return { plan: emptyPlan(), version: 0 };
    }
  }

  /** The boot plan failed to load in the edge: forget it so the control plane sends a fresh one. */
  forgetBoot(): void {
    this.#applied = 0;
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
        if (this.#unacked) this.#track(this.#ack(this.#unacked));
        await this.client.watch(this.#applied, (ev) => this.#onEvent(ev), {
          signal,
          ...(this.#o.idleMs !== undefined ? { idleMs: this.#o.idleMs } : {}),
          onOpen: () => {
            delay = backoff.initial;
            this.#status.connected = true;
          },
        });
      } catch (e) {
        const err = toVergeError(e);
        if (this.#status.lastError !== err.message)
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
        this.#track(this.#invalidate(JSON.parse(ev.data) as WatchInvalidationEvent));
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
        const s = await this.#apply(want);
        const ms = performance.now() - started;
        this.#o.logger.log('info', 'snapshot applied', {
          version: s.version,
          ms: Math.round(ms),
          distributions: s.distributions.length,
        });
        this.#o.onApplied?.(s.version, ms);
        await this.#ack({ version: s.version, ok: true });
      } catch (e) {
        const err = toVergeError(e);
        this.#failed.add(want.version);
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

  async #apply(want: WatchSnapshotEvent): Promise<Snapshot> {
    const s = verifySnapshot(await this.client.snapshot(want.version), want);
    const refs = snapshotRefs(s);
    const jobs: Array<() => Promise<void>> = [];
    for (const [sha, ref] of refs.bundles) {
      jobs.push(() =>
        this.#fetchBlob(
          this.store.bundlePath(sha),
          sha,
          `bundle ${ref.label}`,
          () => this.client.bundle(sha),
          ref.size,
        ),
      );
    }
    for (const [sha, ref] of refs.kvs) {
      jobs.push(() =>
        this.#fetchBlob(this.store.kvsPath(sha), sha, `key-value store ${ref.label}`, () => this.client.kvs(sha)),
      );
    }
    await runLimited(jobs, 4);
    const plan = planFromSnapshot(s, this.store);
    await this.#target!.applyPlan(plan);
    this.#applied = s.version;
    this.#status.lastAppliedAt = Date.now();
    this.#status.lastError = null;
    // The plan is live whatever happens next; a failed write only costs the restart path.
    await this.store.saveLastKnownGood(s).catch((e: Error) =>
      this.#o.logger.log('error', 'could not persist the last-known-good snapshot', {
        version: s.version,
        error: e.message,
      }),
    );
    this.#waiters = this.#waiters.filter((w) => (w.version <= s.version ? (w.resolve(), false) : true));
    await this.store.prune(new Set(refs.bundles.keys()), new Set(refs.kvs.keys())).catch(() => 0);
    return s;
  }

  async #fetchBlob(path: string, sha: string, what: string, get: () => Promise<Buffer>, size?: number): Promise<void> {
    if (await this.store.has(path, sha)) return;
    await this.store.put(path, await get(), sha, what, size);
  }

  async #requireOnDisk(path: string, sha: string): Promise<void> {
    if (!(await this.store.has(path, sha)))
      throw new VergeError('REPLICATION_FAILED', `${path} is missing or does not hash to ${sha.slice(0, 12)}`);
  }

  async #ack(a: { version: number; ok: boolean; error?: string }): Promise<void> {
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

  async #invalidate(ev: WatchInvalidationEvent): Promise<void> {
    let removed = 0;
    try {
      removed = this.#target!.invalidate({
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
