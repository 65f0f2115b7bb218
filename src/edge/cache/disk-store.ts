/**
 * @module edge/cache/disk-store
 * The optional disk tier under `<dataDir>/cache/`: one file per entry (see disk-format.ts),
 * named by the SHA-256 of its key, bounded in bytes with least-recently-used eviction (recency
 * survives restarts through file mtimes). The in-memory index is the logical state and changes
 * synchronously; files follow in the background through one ordered queue of writes and deletes,
 * coalesced per key, so `set` never waits for the disk. Opening rebuilds the index by scanning.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../shared/clock.js';
import { systemClock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { silentLogger } from '../../shared/log.js';
import type { CacheEntry, CacheStats, CacheStore, InvalidationRequest } from './types.js';
import { PREFIX_BYTES, decodeEntry, encodeEntry, fileNameFor, headerLength, parseHeader } from './disk-format.js';
import { compileInvalidation } from './invalidate.js';

export interface DiskStoreOptions {
  /** The cache directory, normally `<dataDir>/cache`. Created if missing. */
  dir: string;
  maxBytes: number;
  /** Entries larger than this are not stored. Default min(maxBytes, 1 GiB). */
  maxEntryBytes?: number;
  logger?: Logger;
  /** Used for file mtimes (recency); defaults to the system clock. */
  clock?: Clock;
}

interface IndexRecord {
  key: string;
  distributionId: string;
  invalidationPath: string;
  tags: readonly string[];
  size: number;
  storedAt: number;
  file: string;
  /** Bumped on every set; stale background results compare against it. */
  gen: number;
}

type Op = { kind: 'write'; entry: CacheEntry; gen: number } | { kind: 'delete' };

const TOUCH_INTERVAL_MS = 60_000;

export class DiskStore implements CacheStore {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #index = new Map<string, IndexRecord>();
  readonly #queue = new Map<string, Op>();
  readonly #touched = new Map<string, number>();
  #active: { key: string; op: Op } | undefined;
  #draining: Promise<void> | undefined;
  #bytes = 0;
  #gen = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #closed = false;

  private constructor(opts: DiskStoreOptions) {
    this.#dir = opts.dir;
    this.#maxBytes = opts.maxBytes;
    this.#maxEntryBytes = Math.min(opts.maxEntryBytes ?? 1024 * 1024 * 1024, opts.maxBytes);
    this.#log = opts.logger ?? silentLogger;
    this.#clock = opts.clock ?? systemClock;
  }

  /** Open (creating) the directory and rebuild the index from the files found there. */
  static async open(opts: DiskStoreOptions): Promise<DiskStore> {
    const store = new DiskStore(opts);
    await mkdir(opts.dir, { recursive: true });
    await store.#scan();
    return store;
  }

  /** Memory only: an entry whose write is still queued; otherwise undefined (use getAsync). */
  get(key: string): CacheEntry | undefined {
    return this.#pending(key);
  }

  #pending(key: string): CacheEntry | undefined {
    const op = this.#queue.get(key) ?? (this.#active?.key === key ? this.#active.op : undefined);
    return op?.kind === 'write' ? op.entry : undefined;
  }

  async getAsync(key: string): Promise<CacheEntry | undefined> {
    const rec = this.#index.get(key);
    if (rec === undefined) {
      this.#misses++;
      return undefined;
    }
    const pending = this.#pending(key);
    if (pending !== undefined) return this.#hit(rec, pending);
    let entry: CacheEntry | undefined;
    try {
      entry = decodeEntry(await readFile(rec.file), key);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#log.log('warn', 'cache file unreadable', { file: rec.file, error: String(e) });
    }
    if (entry === undefined) {
      // Corrupt, truncated or gone: forget it and delete the file, unless a newer set raced us.
      if (this.#index.get(key)?.gen === rec.gen && this.#pending(key) === undefined) {
        this.#log.log('warn', 'cache file failed its integrity check; deleted', { file: rec.file });
        this.#drop(key);
        this.#enqueue(key, { kind: 'delete' });
      }
      this.#misses++;
      return undefined;
    }
    return this.#hit(rec, entry);
  }

  #hit(rec: IndexRecord, entry: CacheEntry): CacheEntry {
    this.#hits++;
    this.#index.delete(rec.key);
    this.#index.set(rec.key, rec);
    const now = this.#clock.now();
    if (now - (this.#touched.get(rec.key) ?? 0) >= TOUCH_INTERVAL_MS) {
      this.#touched.set(rec.key, now);
      const t = new Date(now);
      utimes(rec.file, t, t).catch(() => {});
    }
    return entry;
  }

  /** Queue an entry for writing; returns false when it is too large or the store is closed. */
  set(entry: CacheEntry): boolean {
    if (this.#closed) return false;
    const had = this.#drop(entry.key);
    if (entry.size > this.#maxEntryBytes) {
      if (had) this.#enqueue(entry.key, { kind: 'delete' });
      return false;
    }
    const gen = ++this.#gen;
    const { dir, name } = fileNameFor(entry.key);
    this.#index.set(entry.key, {
      key: entry.key,
      distributionId: entry.distributionId,
      invalidationPath: entry.invalidationPath,
      tags: entry.tags,
      size: entry.size,
      storedAt: entry.storedAt,
      file: join(this.#dir, dir, name),
      gen,
    });
    this.#bytes += entry.size;
    this.#enqueue(entry.key, { kind: 'write', entry, gen });
    this.#evictOverBudget();
    return true;
  }

  /** True when this exact response (same key and response time) is already stored. */
  hasCurrent(key: string, storedAt: number): boolean {
    return this.#index.get(key)?.storedAt === storedAt;
  }

  #evictOverBudget(): void {
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#index.keys().next();
      if (oldest.done === true) return;
      this.#drop(oldest.value);
      this.#enqueue(oldest.value, { kind: 'delete' });
      this.#evictions++;
    }
  }

  delete(key: string): boolean {
    if (!this.#drop(key)) return false;
    this.#enqueue(key, { kind: 'delete' });
    return true;
  }

  #drop(key: string): boolean {
    const rec = this.#index.get(key);
    if (rec === undefined) return false;
    this.#index.delete(key);
    this.#touched.delete(key);
    this.#bytes -= rec.size;
    return true;
  }

  invalidateKeys(req: InvalidationRequest): string[] {
    const match = compileInvalidation(req);
    const removed: string[] = [];
    for (const rec of this.#index.values()) if (match(rec)) removed.push(rec.key);
    for (const k of removed) this.delete(k);
    return removed;
  }

  invalidate(req: InvalidationRequest): number {
    return this.invalidateKeys(req).length;
  }

  stats(): CacheStats {
    return {
      entries: this.#index.size,
      bytes: this.#bytes,
      maxBytes: this.#maxBytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
    };
  }

  /** Resolves when every queued write and delete has reached the disk. */
  async flush(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #enqueue(key: string, op: Op): void {
    this.#queue.delete(key); // re-insert at the back: the latest op for a key runs last
    this.#queue.set(key, op);
    this.#draining ??= this.#drain();
  }

  /** One worker, in queue order, so operations on one file never overlap. */
  async #drain(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r)); // let the request that queued this finish first
    while (this.#queue.size > 0) {
      const [key, op] = this.#queue.entries().next().value as [string, Op];
      this.#queue.delete(key);
      this.#active = { key, op };
      try {
        if (op.kind === 'write') await this.#write(op.entry);
        else await this.#unlink(key);
      } catch (e) {
        this.#log.log('warn', 'cache disk operation failed', { op: op.kind, error: String(e) });
        if (op.kind === 'write' && this.#index.get(key)?.gen === op.gen) this.#drop(key);
      }
      this.#active = undefined;
    }
    this.#draining = undefined;
  }

  async #write(entry: CacheEntry): Promise<void> {
    const { dir, name } = fileNameFor(entry.key);
    const folder = join(this.#dir, dir);
    await mkdir(folder, { recursive: true });
    const tmp = join(folder, `${name}.tmp-${process.pid}`);
    await writeFile(tmp, encodeEntry(entry));
    await rename(tmp, join(folder, name)); // atomic: readers see the old file or the new one
  }

  async #unlink(key: string): Promise<void> {
    const { dir, name } = fileNameFor(key);
    await unlink(join(this.#dir, dir, name)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  /** Rebuild the index: read each file's header, drop leftovers and damaged files, order by mtime. */
  async #scan(): Promise<void> {
    const found: Array<{ rec: IndexRecord; mtime: number }> = [];
    for (const sub of await readdir(this.#dir)) {
      if (sub.length !== 2) continue;
      const folder = join(this.#dir, sub);
      let names: string[];
      try {
        names = await readdir(folder);
      } catch {
        continue;
      }
      for (const name of names) {
        const file = join(folder, name);
        const got = await this.#readIndexRecord(file, name);
        if (got === undefined) await rm(file, { force: true }).catch(() => {});
        else found.push(got);
      }
    }
    found.sort((a, b) => a.mtime - b.mtime);
    for (const { rec } of found) {
      rec.gen = ++this.#gen;
      this.#index.set(rec.key, rec);
      this.#bytes += rec.size;
    }
    this.#evictOverBudget();
  }

  async #readIndexRecord(file: string, name: string): Promise<{ rec: IndexRecord; mtime: number } | undefined> {
    if (name.includes('.tmp')) return undefined; // a write interrupted by a crash
    const fh = await open(file, 'r').catch(() => undefined);
    if (fh === undefined) return undefined;
    try {
      const st = await stat(file);
      const prefix = Buffer.alloc(PREFIX_BYTES);
      await fh.read(prefix, 0, PREFIX_BYTES, 0);
      const hlen = headerLength(prefix);
      if (hlen === undefined) return undefined;
      const json = Buffer.alloc(hlen);
      const { bytesRead } = await fh.read(json, 0, hlen, PREFIX_BYTES);
      const h = bytesRead === hlen ? parseHeader(json) : undefined;
      if (h === undefined || st.size !== PREFIX_BYTES + hlen + h.bodyLength) return undefined;
      if (fileNameFor(h.key).name !== name) return undefined;
      const rec: IndexRecord = {
        key: h.key,
        distributionId: h.distributionId,
        invalidationPath: h.invalidationPath,
        tags: h.tags,
        size: typeof h.size === 'number' ? h.size : st.size,
        storedAt: h.storedAt,
        file,
        gen: 0,
      };
      return { rec, mtime: st.mtimeMs };
    } catch {
      return undefined;
    } finally {
      await fh.close();
    }
  }
}
