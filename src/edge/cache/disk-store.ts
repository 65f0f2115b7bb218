/**
 * @module edge/cache/disk-store
 * The disk tier under `<dataDir>/cache/`: one meta file per entry (see disk-format.ts), named
 * by the SHA-256 of its key, small bodies inline and streamed bodies in their own file; bounded
 * in bytes with least-recently-used eviction (recency survives restarts through mtimes) and a
 * per-object size limit (default 20 GiB). The in-memory index is the logical state and changes
 * synchronously; meta files follow in the background through one ordered queue of writes and
 * deletes, coalesced per key, so `set` never waits for the disk. Streamed objects (`openWrite`)
 * are written straight to their body file and are readable while they arrive; an object larger
 * than the free cache (the budget left by other objects being written, or the free disk space)
 * is refused, and the caller streams it through without storing it. An object of unknown length
 * is charged as it grows: once it outgrows the per-object limit, what the budget can hold after
 * evicting everything not being written, or the disk's free space, or once its file cannot be
 * written (ENOSPC, EDQUOT, EIO), it is let go: its partial file is removed and its readers get
 * the rest through a window in memory (StoringChunks), so the disk never holds more than the
 * budget and a viewer is never cut off because the disk could not keep what it watches.
 */
import { statfsSync } from 'node:fs';
import { mkdir, readFile, rename, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../shared/clock.js';
import { systemClock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { silentLogger } from '../../shared/log.js';
import { GrowingBody, StoringChunks, fileBody, type BodySource } from '../body/index.js';
import type { CacheEntry, CacheStats, CacheStore, InvalidationRequest, OpenWrite } from './types.js';
import { bodyFileNameFor, decodeMeta, encodeMeta, fileNameFor } from './disk-format.js';
import { readRecord, scanCacheDir } from './disk-scan.js';
import { compileInvalidation } from './invalidate.js';
import { StoreWriter } from './object-writer.js';

export interface DiskStoreOptions {
  /** The cache directory, normally `<dataDir>/cache`. Created if missing. */
  dir: string;
  maxBytes: number;
  /** Entries larger than this are not stored. Default min(maxBytes, 20 GiB). */
  maxEntryBytes?: number;
  /** Disk space to leave free when deciding whether a streamed object fits. Default 64 MiB. */
  reserveBytes?: number;
  logger?: Logger;
  /** Used for file mtimes (recency); defaults to the system clock. */
  clock?: Clock;
  /** Called when an entry leaves the index (eviction, delete, invalidation, replacement). */
  onDrop?: (key: string) => void;
  /**
   * Other processes use the same folder (`verge edge --workers N`): a key missing from the
   * index is looked for on disk (another worker may have stored it), a meta file that no longer
   * matches the index is read again rather than deleted, and opening sweeps nothing.
   */
  shared?: boolean;
}

export const DEFAULT_MAX_OBJECT_BYTES = 20 * 1024 ** 3;

interface IndexRecord {
  key: string;
  distributionId: string;
  invalidationPath: string;
  tags: readonly string[];
  size: number;
  storedAt: number;
  meta: string;
  /** The body file, or null for an inline body. */
  bodyFile: string | null;
  /** Bumped on every set; stale background results compare against it. */
  gen: number;
  /** While the body is still being written: the busy entry. */
  busy?: CacheEntry;
}

type Op = { kind: 'write'; entry: CacheEntry; gen: number } | { kind: 'delete' };

const TOUCH_INTERVAL_MS = 60_000;
/** How often (in bytes) an object of unknown length checks the disk's free space as it grows. */
const DISK_CHECK_BYTES = 4 * 1024 * 1024;

/** A disk body source, tagged with its file so the store recognises its own bodies. */
type DiskBody = BodySource & { readonly path: string };

export class DiskStore implements CacheStore {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  readonly #reserve: number;
  readonly #log: Logger;
  readonly #clock: Clock;
  /** Called when an entry leaves the index (the tiered store drops its memory copy). */
  onDrop: ((key: string) => void) | undefined;
  readonly #index = new Map<string, IndexRecord>();
  readonly #queue = new Map<string, Op>();
  /** Body files to remove (old versions, evicted objects). */
  readonly #unlinks = new Set<string>();
  readonly #touched = new Map<string, number>();
  #active: { key: string; op: Op } | undefined;
  #draining: Promise<void> | undefined;
  #bytes = 0;
  #busyBytes = 0;
  #gen = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #closed = false;
  readonly #shared: boolean;

  private constructor(opts: DiskStoreOptions) {
    this.#dir = opts.dir;
    this.#maxBytes = opts.maxBytes;
    this.#maxEntryBytes = Math.min(opts.maxEntryBytes ?? DEFAULT_MAX_OBJECT_BYTES, opts.maxBytes);
    this.#reserve = opts.reserveBytes ?? 64 * 1024 * 1024;
    this.#log = opts.logger ?? silentLogger;
    this.#clock = opts.clock ?? systemClock;
    this.onDrop = opts.onDrop;
    this.#shared = opts.shared ?? false;
  }

  /** Open (creating) the directory and rebuild the index from the files found there. */
  static async open(opts: DiskStoreOptions): Promise<DiskStore> {
    const store = new DiskStore(opts);
    await mkdir(opts.dir, { recursive: true });
    const skipped = (path: string, why: string) =>
      store.#log.log('warn', 'cache scan left an entry it did not make alone', { path, why });
    for (const r of await scanCacheDir(opts.dir, skipped, { sweep: !store.#shared })) {
      const { mtime: _m, ...rec } = r;
      store.#index.set(rec.key, { ...rec, gen: ++store.#gen });
      store.#bytes += rec.size;
    }
    store.#evictOverBudget();
    return store;
  }

  get maxEntryBytes(): number {
    return this.#maxEntryBytes;
  }

  /** Memory only: an entry being written or whose write is still queued; otherwise undefined. */
  get(key: string): CacheEntry | undefined {
    return this.#index.get(key)?.busy ?? this.#pending(key);
  }

  #pending(key: string): CacheEntry | undefined {
    const op = this.#queue.get(key) ?? (this.#active?.key === key ? this.#active.op : undefined);
    return op?.kind === 'write' ? op.entry : undefined;
  }

  async getAsync(key: string, again = true): Promise<CacheEntry | undefined> {
    const rec = this.#index.get(key) ?? (this.#shared ? await this.#adopt(key) : undefined);
    if (rec === undefined) {
      this.#misses++;
      return undefined;
    }
    const ready = rec.busy ?? this.#pending(key);
    if (ready !== undefined) return this.#hit(rec, ready);
    let entry: CacheEntry | undefined;
    try {
      const d = decodeMeta(await readFile(rec.meta), key);
      if (d && 'body' in d) entry = { ...d.entry, body: d.body };
      else if (d && rec.bodyFile !== null && join(rec.meta, '..', d.bodyFile) === rec.bodyFile)
        entry = { ...d.entry, body: this.#fileBody(rec.bodyFile, d.bodyLength) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#log.log('warn', 'cache file unreadable', { file: rec.meta, error: String(e) });
    }
    if (entry === undefined && this.#shared) {
      // Another process replaced or removed it: forget our record and look again, once.
      if (this.#index.get(key)?.gen === rec.gen && this.#pending(key) === undefined) this.#drop(key, false);
      if (again) return this.getAsync(key, false);
      this.#misses++;
      return undefined;
    }
    if (entry === undefined) {
      // Corrupt, truncated or gone: forget it and delete the file, unless a newer set raced us.
      if (this.#index.get(key)?.gen === rec.gen && this.#pending(key) === undefined) {
        this.#log.log('warn', 'cache file failed its integrity check; deleted', { file: rec.meta });
        this.#dropAndDelete(key);
      }
      this.#misses++;
      return undefined;
    }
    return this.#hit(rec, entry);
  }

  /** Shared folder: a record another process wrote for `key`, taken into the index. */
  async #adopt(key: string): Promise<IndexRecord | undefined> {
    const { dir, name } = fileNameFor(key);
    const found = await readRecord(join(this.#dir, dir, name), name);
    if (found === undefined || found.key !== key || this.#closed) return undefined;
    // A set of our own may have landed while we read.
    const mine = this.#index.get(key);
    if (mine !== undefined) return mine;
    const { mtime: _m, ...r } = found;
    const rec: IndexRecord = { ...r, gen: ++this.#gen };
    this.#index.set(key, rec);
    this.#bytes += rec.size;
    this.#evictOverBudget();
    return this.#index.get(key);
  }

  #fileBody(path: string, length: number): DiskBody {
    return Object.assign(fileBody(path, length), { path });
  }

  #hit(rec: IndexRecord, entry: CacheEntry): CacheEntry {
    this.#hits++;
    this.#index.delete(rec.key);
    this.#index.set(rec.key, rec);
    const now = this.#clock.now();
    if (!rec.busy && now - (this.#touched.get(rec.key) ?? 0) >= TOUCH_INTERVAL_MS) {
      this.#touched.set(rec.key, now);
      const t = new Date(now);
      utimes(rec.meta, t, t).catch(() => {});
    }
    return entry;
  }

  /**
   * Queue an entry for writing; false when it is too large, the store is closed, or its body is
   * a stream that is not one of this store's files. A body that is this store's current file
   * for the key (a 304 refresh) rewrites only the meta file.
   */
  set(entry: CacheEntry): boolean {
    if (this.#closed) return false;
    const prev = this.#index.get(entry.key);
    let bodyFile: string | null = null;
    if (!Buffer.isBuffer(entry.body)) {
      const path = (entry.body as Partial<DiskBody>).path;
      if (path === undefined || prev?.bodyFile !== path || prev.busy) {
        if (prev) this.#dropAndDelete(entry.key);
        return false;
      }
      bodyFile = path;
    }
    const had = this.#drop(entry.key, bodyFile === null);
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
      meta: join(this.#dir, dir, name),
      bodyFile,
      gen,
    });
    this.#bytes += entry.size;
    this.#enqueue(entry.key, { kind: 'write', entry, gen });
    this.#evictOverBudget();
    return true;
  }

  /** Why an object of `length` bytes (plus `meta` bytes) cannot be stored now, or null. */
  #refusal(need: number, length: number): string | null {
    if (need > this.#maxEntryBytes)
      return `${length} bytes exceed the cache's per-object limit of ${this.#maxEntryBytes}`;
    const free = this.#maxBytes - this.#busyBytes;
    if (need > free) return `${length} bytes exceed the free cache (${free} of ${this.#maxBytes} bytes)`;
    try {
      const st = statfsSync(this.#dir);
      const disk = st.bavail * st.bsize - this.#reserve - this.#busyBytes;
      if (length > disk) return `${length} bytes exceed the free disk space (${Math.max(0, disk)} bytes)`;
    } catch {
      // statfs unsupported: the budget alone decides.
    }
    return null;
  }

  openWrite(meta: CacheEntry, expectedLength: number | null): OpenWrite {
    if (this.#closed) return { refused: 'the cache is closing' };
    let need = meta.size + (expectedLength ?? 0);
    if (expectedLength !== null) {
      const why = this.#refusal(need, expectedLength);
      if (why !== null) return { refused: why };
    }
    const key = meta.key;
    if (this.#drop(key)) this.#enqueue(key, { kind: 'delete' });
    const { dir, name } = fileNameFor(key);
    const folder = join(this.#dir, dir);
    const bodyPath = join(folder, bodyFileNameFor(name));
    // The folder must exist before the body file is created; the first write waits for it.
    let letGo = (_why: string): void => {};
    const chunks = new StoringChunks(
      bodyPath,
      mkdir(folder, { recursive: true }).then(() => {}),
      (e) => letGo(`the cache file could not be written (${(e as NodeJS.ErrnoException).code ?? e.message})`),
    );
    const gen = ++this.#gen;
    let kept = false;
    const body = new GrowingBody(chunks, expectedLength, () => {
      if (!kept) this.#unlinkBody(bodyPath);
    });
    const entry: CacheEntry = { ...meta, body, size: need };
    const rec: IndexRecord = {
      key,
      distributionId: meta.distributionId,
      invalidationPath: meta.invalidationPath,
      tags: meta.tags,
      size: need,
      storedAt: meta.storedAt,
      meta: join(folder, name),
      bodyFile: bodyPath,
      gen,
      busy: entry,
    };
    this.#index.set(key, rec);
    this.#bytes += need;
    this.#busyBytes += need;
    const settle = (): void => {
      this.#busyBytes -= need;
      need = 0;
    };
    this.#evictOverBudget();
    const attached = (): boolean => this.#index.get(key)?.gen === gen;
    let diskCheckAt = rec.size + DISK_CHECK_BYTES;
    const writer = new StoreWriter(entry, body, expectedLength, {
      attached,
      grow: (n) => {
        rec.size += n;
        this.#bytes += n;
        this.#busyBytes += n;
        need += n;
        let why = this.#outgrown(rec.size);
        if (why === null && rec.size >= diskCheckAt) {
          diskCheckAt = rec.size + DISK_CHECK_BYTES;
          why = this.#diskFull(rec.size);
        }
        if (why === null) this.#evictOverBudget();
        return why;
      },
      detach: (reason, retained) => {
        settle();
        if (attached()) this.#drop(key);
        if (!retained) {
          // A stream-through from here: the partial file goes now (readers behind keep its descriptor).
          chunks.stop();
          this.#unlinkBody(bodyPath);
        }
        this.#log.log('info', 'cache object not stored; streamed through', { key, reason });
      },
      commit: (written) => {
        settle();
        rec.busy = undefined;
        // An empty body never created its file: keep it inline.
        kept = written > 0;
        if (!kept) rec.bodyFile = null;
        const final: CacheEntry = {
          ...meta,
          body: kept ? this.#fileBody(bodyPath, written) : Buffer.alloc(0),
          size: rec.size,
        };
        this.#enqueue(key, { kind: 'write', entry: final, gen });
      },
      // Readers in other workers follow the file: a removed object keeps it for them.
      retainRemoved: this.#shared,
    });
    letGo = (why) => writer.letGo(why);
    return writer;
  }

  /**
   * Why an object of unknown length, now `size` bytes, cannot be kept, or null: over the
   * per-object limit, or more than the budget holds once everything evictable is gone (what is
   * left is objects being written, this one included).
   */
  #outgrown(size: number): string | null {
    if (size > this.#maxEntryBytes) return `larger than the per-object limit of ${this.#maxEntryBytes}`;
    if (this.#busyBytes > this.#maxBytes) {
      const free = this.#maxBytes - (this.#busyBytes - size);
      return `${size} bytes exceed the free cache (${free} of ${this.#maxBytes} bytes)`;
    }
    return null;
  }

  /** Why a growing object of `size` bytes must stop: the disk's free space is below the reserve. */
  #diskFull(size: number): string | null {
    try {
      const st = statfsSync(this.#dir);
      const disk = st.bavail * st.bsize - this.#reserve;
      if (disk < 0) return `${size} bytes exceed the free disk space (${st.bavail * st.bsize} bytes left)`;
    } catch {
      // statfs unsupported: the budget alone decides.
    }
    return null;
  }

  /** True when this exact response (same key and response time) is already stored. */
  hasCurrent(key: string, storedAt: number): boolean {
    const r = this.#index.get(key);
    return r !== undefined && !r.busy && r.storedAt === storedAt;
  }

  #evictOverBudget(): void {
    if (this.#bytes <= this.#maxBytes) return;
    for (const [key, rec] of this.#index) {
      if (this.#bytes <= this.#maxBytes) return;
      if (rec.busy) continue; // being written: it is the newest, and readers are on it
      this.#dropAndDelete(key);
      this.#evictions++;
    }
  }

  delete(key: string): boolean {
    return this.#dropAndDelete(key);
  }

  #dropAndDelete(key: string): boolean {
    if (!this.#drop(key)) return false;
    this.#enqueue(key, { kind: 'delete' });
    return true;
  }

  /** Remove the record (and, unless told otherwise, queue its body file's removal). */
  #drop(key: string, unlinkBody = true): boolean {
    const rec = this.#index.get(key);
    if (rec === undefined) return false;
    this.#index.delete(key);
    this.#touched.delete(key);
    this.#bytes -= rec.size;
    // A body still being written is removed by its writer when its last reader is done.
    if (unlinkBody && !rec.busy && rec.bodyFile !== null) this.#unlinkBody(rec.bodyFile);
    this.onDrop?.(key);
    return true;
  }

  #unlinkBody(path: string): void {
    this.#unlinks.add(path);
    this.#draining ??= this.#drain();
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
    while (this.#queue.size > 0 || this.#unlinks.size > 0) {
      if (this.#queue.size === 0) {
        const path = this.#unlinks.values().next().value as string;
        this.#unlinks.delete(path);
        await unlinkQuiet(path).catch((e) => this.#log.log('warn', 'cache unlink failed', { error: String(e) }));
        continue;
      }
      const [key, op] = this.#queue.entries().next().value as [string, Op];
      this.#queue.delete(key);
      this.#active = { key, op };
      try {
        if (op.kind === 'write') await this.#write(op.entry);
        else await unlinkQuiet(this.#metaPath(key));
      } catch (e) {
        this.#log.log('warn', 'cache disk operation failed', { op: op.kind, error: String(e) });
        if (op.kind === 'write' && this.#index.get(key)?.gen === op.gen) this.#dropAndDelete(key);
      }
      this.#active = undefined;
    }
    this.#draining = undefined;
  }

  #metaPath(key: string): string {
    const { dir, name } = fileNameFor(key);
    return join(this.#dir, dir, name);
  }

  async #write(entry: CacheEntry): Promise<void> {
    const { dir, name } = fileNameFor(entry.key);
    const folder = join(this.#dir, dir);
    await mkdir(folder, { recursive: true });
    const tmp = join(folder, `${name}.tmp-${process.pid}`);
    const b = entry.body;
    const bodyFile = Buffer.isBuffer(b) ? null : (b as DiskBody).path.slice(folder.length + 1);
    await writeFile(tmp, encodeMeta(entry, Buffer.isBuffer(b) ? b : null, bodyFile, b.length ?? 0));
    await rename(tmp, join(folder, name)); // atomic: readers see the old file or the new one
  }
}

async function unlinkQuiet(path: string): Promise<void> {
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}
