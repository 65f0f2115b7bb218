/**
 * @module edge/cache
 * The edge cache leaf's public API: cache keys (spec 7.2), CloudFront's TTL algorithm and
 * storability (spec 7.4, RFC 9111, RFC 9213), stores (memory LRU, disk, tiered), invalidation
 * (spec 7.6) and request collapsing (spec 7.11). Imports only src/shared and the plan types.
 */
export type { CacheEntry, CacheStats, CacheStore, Freshness, InvalidationRequest } from './types.js';
export type { CacheKey, CacheKeyInput } from './key.js';
export { buildCacheKey, normalizeAcceptEncoding } from './key.js';
export type { Directives } from './cache-control.js';
export {
  SURROGATE_CAPABILITY,
  SURROGATE_DEVICE_TOKEN,
  parseCacheControl,
  parseSurrogateControl,
  parseTags,
  parseTargetedField,
} from './cache-control.js';
export type { OriginFailure, TtlDecision, TtlPolicy, TtlSource } from './freshness.js';
export {
  ageHeaderValue,
  canServeStaleOnError,
  computeTtl,
  conditionalHeaders,
  currentAgeMs,
  ageFieldSec,
  freshnessOf,
  initialAgeSec,
  isReusable,
} from './freshness.js';
export type { RefreshOptions, StoreDecision, StoreInput } from './storable.js';
export {
  DEFAULT_ERROR_CACHING_MIN_TTL,
  EDGE_ONLY_HEADERS,
  decideStore,
  entryFromResponse,
  refreshEntry,
  stripEdgeOnlyHeaders,
} from './storable.js';
export type { EntryMatcher } from './invalidate.js';
export { compileInvalidation, validateInvalidation } from './invalidate.js';
export type { CoalescedResult } from './coalesce.js';
export { Coalescer } from './coalesce.js';
export type { MemoryStoreOptions } from './memory-store.js';
export { MemoryStore } from './memory-store.js';
export type { DiskStoreOptions } from './disk-store.js';
export { DiskStore } from './disk-store.js';
export type { TieredStoreOptions } from './tiered-store.js';
export { TieredStore } from './tiered-store.js';
