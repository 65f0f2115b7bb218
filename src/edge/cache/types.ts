/**
 * @module edge/cache/types
 * The cache leaf's contract. The pipeline sees only these types; stores (memory, disk, tiered)
 * implement CacheStore and pass the same contract suite. The cache never imports the pipeline,
 * the origin leaf or the function runtime.
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { ByteSink, GrowingBody, StoredBody } from '../body/index.js';

/** One stored response (one variant of one cache key). */
export interface CacheEntry {
  /** The variant key it is stored under (primary key + Vary values). */
  key: string;
  distributionId: string;
  status: number;
  statusText: string;
  /** Response headers as stored (hop-by-hop removed, Age not included). */
  headers: CfHeaders;
  /**
   * The body: a Buffer for small objects (the memory tier, small disk files), a BodySource for
   * large objects on disk and for objects still being written (a GrowingBody).
   */
  body: StoredBody;
  /** Epoch ms of the response time (when stored, or last revalidated with a 304). */
  storedAt: number;
  /** The origin's Age at response time, in seconds (RFC 9111 4.2.3 initial age). */
  initialAgeSec: number;
  /** Freshness lifetime from CloudFront's TTL algorithm (spec 7.4), in ms. 0 = always revalidate. */
  ttlMs: number;
  /** `stale-while-revalidate` window after expiry, in ms. */
  staleWhileRevalidateMs: number;
  /**
   * `stale-if-error` window after expiry, in ms. Infinity means the origin named none and
   * CloudFront's rule applies (serve the stored copy when the origin fails); a finite value is
   * the origin's own `stale-if-error`, or 0 where stale is forbidden.
   */
  staleIfErrorMs: number;
  /** Validators for conditional revalidation. */
  etag?: string;
  lastModified?: string;
  /** Surrogate keys from `Surrogate-Key` / `Cache-Tag`. */
  tags: readonly string[];
  /** The path + `?query` this entry answers, for path invalidation (spec 7.6). */
  invalidationPath: string;
  /** Lower-case request header names from the response's Vary ('*' means never reuse). */
  vary: readonly string[];
  /** Bytes counted against the cache budget (body + headers estimate). */
  size: number;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

export interface InvalidationRequest {
  distributionId: string;
  /** CloudFront invalidation paths: `/a.jpg`, `/img/*`, `/*`, `/a.jpg?x=1` (spec 7.6). */
  paths?: readonly string[];
  tags?: readonly string[];
}

/**
 * Writes one object as it arrives (a tee of the origin's body). The entry is in the store, and
 * readable, from the moment the writer is opened: lookups find it and read the bytes written so
 * far, waiting for the rest (a streaming busy object). `end` commits it; `abort`, a delete or an
 * invalidation while writing detach it: readers that have it keep reading, nothing is kept.
 */
export interface ObjectWriter extends ByteSink {
  /** The busy entry (its body is `body`). */
  readonly entry: CacheEntry;
  readonly body: GrowingBody;
  /** Why the object will not be kept after all (null while it will be). */
  readonly detached: string | null;
}

/** `openWrite` either gives a writer or says why the object cannot be stored. */
export type OpenWrite = ObjectWriter | { refused: string };

/**
 * A key/value store of entries with a byte budget. The memory store is synchronous; a tier
 * that may touch the disk resolves through `getAsync`.
 */
export interface CacheStore {
  /** Fast path: memory only. */
  get(key: string): CacheEntry | undefined;
  /** Memory, then any slower tier (promoting what it finds). */
  getAsync(key: string): Promise<CacheEntry | undefined>;
  /** Store a whole entry; false when it is not kept (too large, or a body this store cannot take). */
  set(entry: CacheEntry): boolean;
  /**
   * Start storing an object whose body is still arriving. `meta` is the entry without its body
   * (`meta.size` counts headers only); `expectedLength` is the announced body length or null.
   */
  openWrite(meta: CacheEntry, expectedLength: number | null): OpenWrite;
  delete(key: string): boolean;
  /** Remove every entry matching the request; returns how many were removed. */
  invalidate(req: InvalidationRequest): number;
  stats(): CacheStats;
  close(): Promise<void>;
}

/** Freshness state of an entry at a moment (RFC 9111 4.2). */
export type Freshness = 'fresh' | 'stale-while-revalidate' | 'stale';
