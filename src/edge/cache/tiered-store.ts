/**
 * @module edge/cache/tiered-store
 * Memory in front of disk. `get` is the memory fast path; `getAsync` falls back to the disk and
 * promotes what it finds. In `evicted` mode (the default) entries reach the disk only when the
 * memory LRU pushes them out; in `write-through` mode every set is also queued for the disk, so
 * a restart keeps everything. Disk writes are background work in both modes.
 */
import type { CacheEntry, CacheStats, CacheStore, InvalidationRequest } from './types.js';
import { MemoryStore } from './memory-store.js';
import type { DiskStore } from './disk-store.js';

export interface TieredStoreOptions {
  memoryBytes: number;
  /** Per-entry cap for the memory tier (larger entries go straight to the disk). */
  memoryMaxEntryBytes?: number;
  disk: DiskStore;
  mode?: 'evicted' | 'write-through';
}

export class TieredStore implements CacheStore {
  readonly memory: MemoryStore;
  readonly disk: DiskStore;
  readonly #writeThrough: boolean;
  #hits = 0;
  #misses = 0;

  constructor(opts: TieredStoreOptions) {
    this.disk = opts.disk;
    this.#writeThrough = opts.mode === 'write-through';
    const memOpts: ConstructorParameters<typeof MemoryStore>[0] = { maxBytes: opts.memoryBytes };
    if (opts.memoryMaxEntryBytes !== undefined) memOpts.maxEntryBytes = opts.memoryMaxEntryBytes;
    if (!this.#writeThrough) memOpts.onEvict = (e) => this.#demote(e);
    this.memory = new MemoryStore(memOpts);
  }

  /** Write an entry leaving memory to the disk unless the disk already holds that response. */
  #demote(entry: CacheEntry): void {
    if (!this.disk.hasCurrent(entry.key, entry.storedAt)) this.disk.set(entry);
  }

  get(key: string): CacheEntry | undefined {
    const e = this.memory.get(key);
    if (e !== undefined) this.#hits++;
    else this.#misses++;
    return e;
  }

  async getAsync(key: string): Promise<CacheEntry | undefined> {
    const m = this.memory.get(key);
    if (m !== undefined) {
      this.#hits++;
      return m;
    }
    const d = await this.disk.getAsync(key);
    if (d === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    // Promote unless a newer set or a delete happened while we were reading.
    if (this.memory.peek(key) === undefined) this.memory.set(d);
    return this.memory.peek(key) ?? d;
  }

  set(entry: CacheEntry): boolean {
    const inMemory = this.memory.set(entry);
    if (this.#writeThrough || !inMemory) return this.disk.set(entry) || inMemory;
    // The disk copy (if any) is now outdated; drop it so a restart cannot resurrect it.
    if (!this.disk.hasCurrent(entry.key, entry.storedAt)) this.disk.delete(entry.key);
    return true;
  }

  delete(key: string): boolean {
    const a = this.memory.delete(key);
    const b = this.disk.delete(key);
    return a || b;
  }

  invalidate(req: InvalidationRequest): number {
    const keys = new Set(this.memory.invalidateKeys(req));
    for (const k of this.disk.invalidateKeys(req)) keys.add(k);
    return keys.size;
  }

  /** Hits and misses as seen through the tiers; sizes and evictions summed over both tiers. */
  stats(): CacheStats {
    const m = this.memory.stats();
    const d = this.disk.stats();
    return {
      entries: m.entries + d.entries,
      bytes: m.bytes + d.bytes,
      maxBytes: m.maxBytes + d.maxBytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: d.evictions + (this.#writeThrough ? m.evictions : 0),
    };
  }

  async close(): Promise<void> {
    if (!this.#writeThrough) {
      // Persist what is only in memory so a restart resumes warm.
      for (const key of this.memory.keys()) {
        const e = this.memory.peek(key);
        if (e !== undefined) this.#demote(e);
      }
    }
    await this.memory.close();
    await this.disk.close();
  }
}
