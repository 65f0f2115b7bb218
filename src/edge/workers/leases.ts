/**
 * @module edge/workers/leases
 * Request collapsing across workers, on the primary's side: the first worker to ask for a cache
 * key's fetch lease leads (fetches from the origin and writes the shared disk tier); workers
 * that ask while it is held wait, and are told when the leader releases it (its object is in
 * the disk tier, or was not cacheable) so they look the key up again. A leader that dies lets
 * its waiters go the same way; the next miss leads.
 */

export interface Waiter {
  worker: number;
  id: number;
}

export class LeaseTable {
  readonly #held = new Map<string, { holder: number; waiters: Waiter[] }>();

  /** True when `worker` now leads `key`'s fetch; false when it must wait for `release`. */
  lease(worker: number, id: number, key: string): boolean {
    const h = this.#held.get(key);
    if (h === undefined) {
      this.#held.set(key, { holder: worker, waiters: [] });
      return true;
    }
    h.waiters.push({ worker, id });
    return false;
  }

  /** The leader is done: the waiters to wake (none when `worker` did not hold `key`). */
  release(worker: number, key: string): Waiter[] {
    const h = this.#held.get(key);
    if (h === undefined || h.holder !== worker) return [];
    this.#held.delete(key);
    return h.waiters;
  }

  /** `worker` exited: release what it held; drop its own waits (nobody is left to wake). */
  gone(worker: number): Waiter[] {
    const wake: Waiter[] = [];
    for (const [key, h] of this.#held) {
      h.waiters = h.waiters.filter((w) => w.worker !== worker);
      if (h.holder === worker) {
        this.#held.delete(key);
        wake.push(...h.waiters);
      }
    }
    return wake;
  }

  get size(): number {
    return this.#held.size;
  }
}
