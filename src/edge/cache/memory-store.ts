/**
 * @module edge/cache/memory-store
 * The in-memory tier: an LRU bounded in bytes. A Map's insertion order is the recency order
 * (a hit deletes and re-inserts the key), so get, set and eviction are O(1). Entries are never
 * expired here: stale entries stay until evicted because they still serve revalidation
 * (RefreshHit) and stale-if-error. Stored entries are immutable; callers must not mutate them.
 *
 * Streamed objects (`openWrite`) are collected in memory chunks and readable while they arrive;
 * on commit they become one Buffer. An object of unknown length that outgrows the per-entry cap
 * is detached and streamed through with a bounded window (see GrowingBody).
 */
import { GrowingBody, MemoryChunks } from '../body/index.js';
import type { CacheEntry, CacheStats, CacheStore, InvalidationRequest, OpenWrite } from './types.js';
import { compileInvalidation } from './invalidate.js';
import { StoreWriter } from './object-writer.js';

export interface MemoryStoreOptions {
  /** Byte budget (sum of `entry.size`). */
  maxBytes: number;
  /** Entries larger than this are not stored. Default min(maxBytes, 64 MiB). */
  maxEntryBytes?: number;
  /** Called for each entry pushed out by the byte budget (not for delete or invalidate). */
  onEvict?: (entry: CacheEntry) => void;
}

const DEFAULT_MAX_ENTRY = 64 * 1024 * 1024;

export class MemoryStore implements CacheStore {
  readonly #map = new Map<string, CacheEntry>();
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  readonly #onEvict: ((entry: CacheEntry) => void) | undefined;
  /** The key last in recency order, when known: a hit on it need not move it. */
  #newest: string | undefined;
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(opts: MemoryStoreOptions) {
    this.#maxBytes = opts.maxBytes;
    this.#maxEntryBytes = Math.min(opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY, opts.maxBytes);
    this.#onEvict = opts.onEvict;
  }

  get maxEntryBytes(): number {
    return this.#maxEntryBytes;
  }

  get(key: string): CacheEntry | undefined {
    const e = this.#map.get(key);
    if (e === undefined) {
      this.#misses++;
      return undefined;
    }
    // A hot object hit again and again is already the most recent: re-inserting it would only
    // churn the Map (a delete and a set, and a rehash when the Map is small).
    if (this.#newest !== key) {
      this.#map.delete(key);
      this.#map.set(key, e);
      this.#newest = key;
    }
    this.#hits++;
    return e;
  }

  /** Like get, without counting or touching recency (for tiers and diagnostics). */
  peek(key: string): CacheEntry | undefined {
    return this.#map.get(key);
  }

  /** A snapshot of the keys, least recently used first. */
  keys(): string[] {
    return [...this.#map.keys()];
  }

  getAsync(key: string): Promise<CacheEntry | undefined> {
    return Promise.resolve(this.get(key));
  }

  /** Store an entry; returns false when it is too large (any older entry for the key is dropped). */
  set(entry: CacheEntry): boolean {
    this.#remove(entry.key);
    if (entry.size > this.#maxEntryBytes) return false;
    this.#map.set(entry.key, entry);
    this.#newest = entry.key;
    this.#bytes += entry.size;
    this.#evictOverBudget();
    return true;
  }

  #evictOverBudget(): void {
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#map.keys().next();
      if (oldest.done === true) break;
      const victim = this.#map.get(oldest.value)!;
      this.#remove(oldest.value);
      this.#evictions++;
      this.#onEvict?.(victim);
    }
  }

  openWrite(meta: CacheEntry, expectedLength: number | null): OpenWrite {
    if (expectedLength !== null && meta.size + expectedLength > this.#maxEntryBytes)
      return { refused: `${expectedLength} bytes exceed the memory tier's ${this.#maxEntryBytes}-byte object limit` };
    const chunks = new MemoryChunks();
    const body = new GrowingBody(chunks, expectedLength);
    const entry: CacheEntry = { ...meta, body, size: meta.size + (expectedLength ?? 0) };
    this.set(entry);
    const key = entry.key;
    return new StoreWriter(entry, body, expectedLength, {
      attached: () => this.#map.get(key) === entry,
      grow: (n) => {
        entry.size += n;
        this.#bytes += n;
        if (entry.size > this.#maxEntryBytes)
          return `larger than the memory tier's ${this.#maxEntryBytes}-byte object limit`;
        this.#evictOverBudget();
        return null;
      },
      detach: () => {
        if (this.#map.get(key) === entry) this.#remove(key);
      },
      commit: (written) => {
        this.#remove(key);
        this.set({ ...meta, body: chunks.concat(), size: meta.size + written });
      },
    });
  }

  delete(key: string): boolean {
    return this.#remove(key);
  }

  #remove(key: string): boolean {
    const e = this.#map.get(key);
    if (e === undefined) return false;
    this.#map.delete(key);
    if (this.#newest === key) this.#newest = undefined;
    this.#bytes -= e.size;
    return true;
  }

  /** Remove every matching entry; returns the removed keys. */
  invalidateKeys(req: InvalidationRequest): string[] {
    const match = compileInvalidation(req);
    const removed: string[] = [];
    for (const e of this.#map.values()) if (match(e)) removed.push(e.key);
    for (const k of removed) this.#remove(k);
    return removed;
  }

  invalidate(req: InvalidationRequest): number {
    return this.invalidateKeys(req).length;
  }

  stats(): CacheStats {
    return {
      entries: this.#map.size,
      bytes: this.#bytes,
      maxBytes: this.#maxBytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
    };
  }

  async close(): Promise<void> {
    this.#map.clear();
    this.#newest = undefined;
    this.#bytes = 0;
  }
}
