/**
 * @module edge/cache/coalesce
 * Request collapsing (spec 7.11): concurrent misses for the same cache key share one origin
 * fetch. The first caller starts it; later callers join and get the same value (`joined: true`,
 * which CloudFront logs as a Hit) or the same error. The key is forgotten as soon as the fetch
 * settles, so the next miss after that starts a new fetch.
 */

export interface CoalescedResult<T> {
  value: T;
  /** True for callers that joined a fetch someone else started. */
  joined: boolean;
  /**
   * Another process of the PoP fetched the key (`verge edge --workers N`, edge/workers) and has
   * stored it, or found it not cacheable: `value` is meaningless; look the key up again.
   */
  elsewhere?: boolean;
}

export class Coalescer<T> {
  readonly #inflight = new Map<string, Promise<T>>();

  /**
   * Run `fetch` for `key`, or join the one already running.
   *
   * @example
   * const { value, joined } = await coalescer.run(cacheKey, () => fetchFromOrigin(req));
   */
  async run(key: string, fetch: () => Promise<T>): Promise<CoalescedResult<T>> {
    const existing = this.#inflight.get(key);
    if (existing !== undefined) return { value: await existing, joined: true };
    let p: Promise<T>;
    try {
      p = fetch();
    } catch (e) {
      // A synchronous throw still reaches only this caller; nothing was registered.
      return Promise.reject(e);
    }
    this.#inflight.set(key, p);
    const forget = (): void => {
      if (this.#inflight.get(key) === p) this.#inflight.delete(key);
    };
    p.then(forget, forget);
    return { value: await p, joined: false };
  }

  /** Keys with a fetch in flight. */
  get size(): number {
    return this.#inflight.size;
  }

  has(key: string): boolean {
    return this.#inflight.has(key);
  }
}
