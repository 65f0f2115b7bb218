/**
 * @module edge/workers/fleet-coalescer
 * Request collapsing across the workers of one PoP (`verge edge --workers N`), on a worker's
 * side. Misses of one key on this worker join one local fetch, as everywhere (Coalescer); that
 * fetch first asks the primary for the key's lease (leases.ts), and then either
 * - leads: fetches from the origin; when what it stores is a busy object on the shared disk
 *   tier, announces it and its growth (following.ts); releases the lease once the object is on
 *   disk (or its fetch failed, or it was not cacheable), or as soon as the store lets it go (over
 *   the disk budget, a full disk: a stream-through, whose followers are ended where its file
 *   stopped, so a cut-off, and whose waiters then fetch for themselves);
 * - follows: another worker is writing the object to the disk tier, and this worker's viewers
 *   read that file as it grows: their first byte comes as soon as the leader has it, Range
 *   included (`joined`, reported as a Hit, as a collapsed viewer is); a leader that fails or
 *   dies cuts them off;
 * - or waits: the leader's answer has no file to follow (a small object kept in memory first, an
 *   uncacheable answer, an error), so when it is released this worker's viewers look the key up
 *   again (`elsewhere`) and find the object on disk. Uncacheable answers are not shared: those
 *   viewers then fetch alone, as a joiner does when its leader's answer could not be shared.
 */
import { GrowingBody } from '../body/index.js';
import { Coalescer, type CoalescedResult } from '../cache/coalesce.js';
import type { CacheEntry, CacheStore } from '../cache/types.js';
import type { EdgeOptions } from '../edge.js';
import { resultFromEntry } from '../pipeline/cache-io.js';
import type { FetchResult } from '../pipeline/transaction.js';
import { Followed, announce, type Send } from './following.js';
import { isVergeMessage, type StreamEnd, type ToWorker } from './protocol.js';

/** What the fleet coalescer needs to know about the values its fetches produce. */
export interface Sharing<T extends object> {
  /** The value a waiting follower's fetch settles with (never shown to anyone). */
  elsewhere: T;
  /** Resolves once what the leader's fetch stored is on the shared disk. */
  settle(value: T): Promise<void>;
  /** The disk-tier busy object a leader's value streams from, when other workers may follow it. */
  growing(value: T): { entry: CacheEntry; body: GrowingBody } | null;
  /** A follower's value over another worker's object. */
  follow(entry: CacheEntry): T;
}

type Answer = { leader: boolean } | { follow: Promise<CacheEntry | null> };

const send: Send = (m, sent) => {
  if (process.send) process.send(m, undefined, undefined, () => sent?.());
};

export class FleetCoalescer<T extends object> extends Coalescer<T> {
  readonly #waiting = new Map<number, (a: Answer) => void>();
  readonly #s: Sharing<T>;
  readonly #followed = new Followed();
  readonly #follows = new WeakSet<T>();
  #next = 0;

  constructor(sharing: Sharing<T>) {
    super();
    this.#s = sharing;
    process.on('message', (m: unknown) => {
      if (!isVergeMessage<ToWorker>(m)) return;
      switch (m.verge) {
        case 'granted':
          return this.#answer(m.id, { leader: m.leader });
        case 'follow':
          // Opened now, in this turn: its `progress` and `end` may be in the same read from the channel.
          return this.#answer(m.id, { follow: this.#followed.open(m) });
        case 'progress':
          return this.#followed.progress(m.grown);
        case 'end':
          return this.#followed.end(m.stream, m.end);
      }
    });
    process.once('disconnect', () => this.#followed.close());
  }

  /** Objects this worker reads from other workers now. */
  get following(): number {
    return this.#followed.size;
  }

  override async run(key: string, fetch: () => Promise<T>): Promise<CoalescedResult<T>> {
    const r = await super.run(key, () => this.#leased(key, fetch));
    if (r.value === this.#s.elsewhere) return { ...r, elsewhere: true };
    return this.#follows.has(r.value) ? { ...r, joined: true } : r;
  }

  #answer(id: number, a: Answer): void {
    const resolve = this.#waiting.get(id);
    this.#waiting.delete(id);
    resolve?.(a);
  }

  async #leased(key: string, fetch: () => Promise<T>): Promise<T> {
    const { id, answer } = this.#lease(key);
    const a = await answer;
    if ('follow' in a) {
      const entry = await a.follow;
      if (entry === null) return this.#s.elsewhere;
      const v = this.#s.follow(entry);
      this.#follows.add(v);
      return v;
    }
    if (!a.leader) return this.#s.elsewhere;
    let value: T;
    try {
      value = await fetch();
    } catch (e) {
      send({ verge: 'release', id, key });
      throw e;
    }
    const g = process.connected ? this.#s.growing(value) : null;
    const stop = g ? announce(send, id, key, g.entry, g.body) : () => {};
    let released = false;
    const release = (end?: StreamEnd): void => {
      if (released) return;
      released = true;
      stop();
      send({ verge: 'release', id, key, ...(end ? { end } : {}) });
    };
    // An object the store lets go of (over the budget, a full disk) streams through: its file
    // stops where it is, so followers are ended there and waiters fetch it themselves, now.
    const unwatch = g?.body.watch(() => {
      if (g.body.windowed) release({ ok: false, written: g.body.written });
    });
    // This worker's viewers stream the answer now; followers read the file as it grows; waiters
    // look the key up on disk as soon as they hear, so the lease goes only once the object is there.
    this.#s
      .settle(value)
      .catch(() => {})
      .finally(() => {
        unwatch?.();
        release(g ? { ok: g.body.state === 'done' && !g.body.windowed, written: g.body.written } : undefined);
      });
    return value;
  }

  #lease(key: string): { id: number; answer: Promise<Answer> } {
    const id = ++this.#next;
    // Without a primary (a lone worker in a test) every fetch leads.
    if (!process.connected) return { id, answer: Promise.resolve({ leader: true }) };
    const answer = new Promise<Answer>((resolve) => this.#waiting.set(id, resolve));
    send({ verge: 'lease', id, key });
    return { id, answer };
  }
}

/** `startEdge`'s `shared` option for a worker: the shared disk tier and cross-worker collapsing. */
export function sharedEdge(): NonNullable<EdgeOptions['shared']> {
  // Identity is all that matters: the pipeline never sees it (FleetCoalescer.run maps it to `elsewhere`).
  const elsewhere = Object.freeze({ source: 'error' }) as unknown as FetchResult;
  return {
    coalescer: (cache: CacheStore) =>
      new FleetCoalescer<FetchResult>({
        elsewhere,
        async settle(r) {
          // A streamed object is on disk once its last byte is written and its meta file flushed.
          const body = r.bodySource as { settled?(): Promise<void> } | undefined;
          await body?.settled?.();
          // A small object finishes in memory first; write-through queues its disk copy right
          // after, in the same turn (TieredStore): let that turn end before flushing.
          await new Promise((resolve) => setImmediate(resolve));
          await (cache as { flush?(): Promise<void> }).flush?.();
        },
        growing(r) {
          const body = r.bodySource;
          if (!(body instanceof GrowingBody) || body.file === null || body.state !== 'writing' || !r.stored)
            return null;
          // Only an object the disk tier still keeps: one invalidated (or refused) while its
          // fetch was in flight is for the viewers that asked before, not for later ones.
          const disk = (cache as { disk?: CacheStore }).disk ?? cache;
          return disk.get(r.stored.key)?.body === body ? { entry: r.stored, body } : null;
        },
        follow: (entry) => resultFromEntry(entry, 'origin'),
      }),
  };
}
