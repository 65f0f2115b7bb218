/**
 * @module edge/geo/lru
 * A tiny bounded LRU over Map insertion order, for the geo and User-Agent caches (and the
 * `{get,set}` cache mmdb-lib accepts). Lookups are O(1); the oldest entry goes first.
 */

export class Lru<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`LRU size must be a positive integer, got ${max}`);
    this.#max = max;
  }

  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined) return undefined;
    // Re-insert to mark as most recently used.
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): void {
    if (this.#map.has(key)) this.#map.delete(key);
    else if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value as K);
    this.#map.set(key, value);
  }

  get size(): number {
    return this.#map.size;
  }
}
