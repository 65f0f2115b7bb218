/**
 * @module edge/cache/types
 * The cache leaf's contract. The pipeline sees only these types; stores (memory, disk, tiered)
 * implement CacheStore and pass the same contract suite. The cache never imports the pipeline,
 * the origin leaf or the function runtime.
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';

/** One stored response (one variant of one cache key). */
export interface CacheEntry {
  /** The variant key it is stored under (primary key + Vary values). */
  key: string;
  distributionId: string;
  status: number;
  statusText: string;
  /** Response headers as stored (hop-by-hop removed, Age not included). */
  headers: CfHeaders;
  body: Buffer;
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
 * A key/value store of entries with a byte budget. The memory store is synchronous; a tier
 * that may touch the disk resolves through `getAsync`.
 */
export interface CacheStore {
  /** Fast path: memory only. */
  get(key: string): CacheEntry | undefined;
  /** Memory, then any slower tier (promoting what it finds). */
  getAsync(key: string): Promise<CacheEntry | undefined>;
  set(entry: CacheEntry): void;
  delete(key: string): boolean;
  /** Remove every entry matching the request; returns how many were removed. */
  invalidate(req: InvalidationRequest): number;
  stats(): CacheStats;
  close(): Promise<void>;
}

/** Freshness state of an entry at a moment (RFC 9111 4.2). */
export type Freshness = 'fresh' | 'stale-while-revalidate' | 'stale';
