/**
 * @module edge/cache/tiered-store
 * Memory in front of disk. `get` is the memory fast path; `getAsync` falls back to the disk and
 * promotes what it finds: a small object whole, a large one as its headers only (the body stays
 * a file on disk, so the memory tier holds small hot objects and the metadata of big ones). In
 * `evicted` mode (the default) entries reach the disk only when the memory LRU pushes them out;
 * in `write-through` mode every set is also queued for the disk, so a restart (or another worker
 * sharing the disk) sees everything. Streamed objects go to memory when they are announced
 * small enough for it, and to the disk otherwise.
 */
import type { CacheEntry, CacheStats, CacheStore, InvalidationRequest, ObjectWriter, OpenWrite } from './types.js';
import { MemoryStore } from './memory-store.js';
import type { DiskStore } from './disk-store.js';

export interface TieredStoreOptions {
  memoryBytes: number;
  /** Per-entry cap for the memory tier (larger entries go straight to the disk). */
  memoryMaxEntryBytes?: number;
  disk: DiskStore;
  mode?: 'evicted' | 'write-through';
}

/** A body that is one of the disk's files (see DiskStore). */
function isDiskBody(e: CacheEntry): boolean {
  return !Buffer.isBuffer(e.body) && typeof (e.body as { path?: unknown }).path === 'string';
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
    // A memory copy of a disk object's headers must go when the disk object does.
    this.disk.onDrop = (key) => {
      const m = this.memory.peek(key);
      if (m !== undefined && isDiskBody(m)) this.memory.delete(key);
    };
  }

  /** Write an entry leaving memory to the disk unless the disk already holds that response. */
  #demote(entry: CacheEntry): void {
    if (!Buffer.isBuffer(entry.body)) return; // a disk object's headers, or a detached busy object
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
    if (this.memory.peek(key) !== undefined || !this.disk.hasCurrent(key, d.storedAt)) return d;
    if (Buffer.isBuffer(d.body)) this.memory.set(d);
    else if (isDiskBody(d)) this.memory.set({ ...d, size: d.size - (d.body.length ?? 0) });
    return this.memory.peek(key) ?? d;
  }

  set(entry: CacheEntry): boolean {
    if (!Buffer.isBuffer(entry.body)) {
      // A refresh (304) of a disk object rewrites its meta file; anything else is not ours.
      this.memory.delete(entry.key);
      return this.disk.set(entry);
    }
    const inMemory = this.memory.set(entry);
    if (this.#writeThrough || !inMemory) return this.disk.set(entry) || inMemory;
    // The disk copy (if any) is now outdated; drop it so a restart cannot resurrect it.
    if (!this.disk.hasCurrent(entry.key, entry.storedAt)) this.disk.delete(entry.key);
    return true;
  }

  openWrite(meta: CacheEntry, expectedLength: number | null): OpenWrite {
    const small = expectedLength !== null && meta.size + expectedLength <= this.memory.maxEntryBytes;
    if (!small) {
      this.memory.delete(meta.key);
      return this.disk.openWrite(meta, expectedLength);
    }
    this.disk.delete(meta.key);
    const w = this.memory.openWrite(meta, expectedLength);
    if ('refused' in w || !this.#writeThrough) return w;
    return this.#alsoToDisk(w);
  }

  /** Write-through: a small object committed in memory is queued for the disk too. */
  #alsoToDisk(w: ObjectWriter): ObjectWriter {
    const end = w.end.bind(w);
    w.end = async () => {
      await end();
      // The committed copy in memory (commit replaces the busy entry, which reads as `detached`);
      // an object invalidated meanwhile is simply not there.
      const e = this.memory.peek(w.entry.key);
      if (e !== undefined && Buffer.isBuffer(e.body) && e.storedAt === w.entry.storedAt) this.disk.set(e);
    };
    return w;
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

  /**
   * Hits and misses as seen through the tiers; entries and bytes counted once (a memory copy of
   * something the disk holds is the disk's); evictions are the disk's (memory evictions demote).
   */
  stats(): CacheStats {
    const m = this.memory.stats();
    const d = this.disk.stats();
    let entries = d.entries;
    let bytes = d.bytes;
    for (const key of this.memory.keys()) {
      const e = this.memory.peek(key)!;
      if (isDiskBody(e) || this.disk.hasCurrent(key, e.storedAt)) continue;
      entries++;
      bytes += e.size;
    }
    return {
      entries,
      bytes,
      maxBytes: m.maxBytes + d.maxBytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: d.evictions + (this.#writeThrough ? m.evictions : 0),
    };
  }

  /** Resolves once every write queued for the disk so far is on it. */
  flush(): Promise<void> {
    return this.disk.flush();
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
