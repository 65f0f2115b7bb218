/**
 * @module edge/workers/fleet-coalescer
 * Request collapsing across the workers of one PoP (`verge edge --workers N`), on a worker's
 * side. Misses of one key on this worker join one local fetch, as everywhere (Coalescer); that
 * fetch first asks the primary for the key's lease (leases.ts). The leader fetches from the
 * origin, waits until what it stored is on the shared disk tier, then releases the lease; a
 * worker that waited is told so and its viewers look the key up again (`elsewhere`), finding
 * the object on disk. Uncacheable answers are not shared: those viewers then fetch alone, as a
 * joiner does when its leader's answer could not be shared.
 *
 * A streamed object is released once its last byte is on disk: followers on other workers wait
 * for the whole object (reading it while it grows, GrowingBody.advance, is not wired yet).
 */
import { Coalescer, type CoalescedResult } from '../cache/coalesce.js';
import type { CacheStore } from '../cache/types.js';
import type { EdgeOptions } from '../edge.js';
import type { FetchResult } from '../pipeline/transaction.js';
import { isVergeMessage, type ToWorker } from './protocol.js';
import { sendToPrimary } from './worker.js';

export class FleetCoalescer<T> extends Coalescer<T> {
  readonly #waiting = new Map<number, (leader: boolean) => void>();
  readonly #settle: (value: T) => Promise<void>;
  readonly #elsewhere: T;
  #next = 0;

  /**
   * @param elsewhere the value a follower's local fetch settles with (never shown to anyone)
   * @param settle resolves once what the leader's fetch stored is on the shared disk
   */
  constructor(elsewhere: T, settle: (value: T) => Promise<void>) {
    super();
    this.#elsewhere = elsewhere;
    this.#settle = settle;
    process.on('message', (m: unknown) => {
      if (!isVergeMessage<ToWorker>(m) || m.verge !== 'granted') return;
      const resolve = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      resolve?.(m.leader);
    });
  }

  override async run(key: string, fetch: () => Promise<T>): Promise<CoalescedResult<T>> {
    const r = await super.run(key, () => this.#leased(key, fetch));
    return r.value === this.#elsewhere ? { ...r, elsewhere: true } : r;
  }

  async #leased(key: string, fetch: () => Promise<T>): Promise<T> {
    if (!(await this.#lease(key))) return this.#elsewhere;
    const release = () => sendToPrimary({ verge: 'release', key });
    let value: T;
    try {
      value = await fetch();
    } catch (e) {
      release();
      throw e;
    }
    // This worker's viewers stream the answer now; the other workers look the key up on disk
    // as soon as they hear, so the lease goes only once the object is there.
    this.#settle(value)
      .catch(() => {})
      .finally(release);
    return value;
  }

  #lease(key: string): Promise<boolean> {
    // Without a primary (a lone worker in a test) every fetch leads.
    if (!process.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const id = ++this.#next;
      this.#waiting.set(id, resolve);
      sendToPrimary({ verge: 'lease', id, key });
    });
  }
}

/** `startEdge`'s `shared` option for a worker: the shared disk tier and cross-worker collapsing. */
export function sharedEdge(): NonNullable<EdgeOptions['shared']> {
  // Identity is all that matters: the pipeline never sees it (FleetCoalescer.run maps it to `elsewhere`).
  const elsewhere = Object.freeze({ source: 'error' }) as unknown as FetchResult;
  return {
    coalescer: (cache: CacheStore) =>
      new FleetCoalescer<FetchResult>(elsewhere, async (r) => {
        // A streamed object is on disk once its last byte is written and its meta file flushed.
        const body = r.bodySource as { settled?(): Promise<void> } | undefined;
        await body?.settled?.();
        // A small object finishes in memory first; write-through queues its disk copy right
        // after, in the same turn (TieredStore): let that turn end before flushing.
        await new Promise((resolve) => setImmediate(resolve));
        await (cache as { flush?(): Promise<void> }).flush?.();
      }),
  };
}
