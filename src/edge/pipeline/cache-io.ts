/**
 * @module edge/pipeline/cache-io
 * How the pipeline reads and writes the cache: Vary variants (a small "vary record" at the
 * primary key names the headers, the object itself lives under a variant key), and turning an
 * entry into a response with its Age.
 */
import { cloneHeaders, type CfHeaders } from '../../shared/lambda-edge/index.js';
import type { CacheEntry, CacheStore } from '../cache/types.js';
import type { ViewerTxn, EdgeResponse } from './transaction.js';

/** A vary record: status 0, no body, `vary` lists the request headers that select the variant. */
export function isVaryRecord(e: CacheEntry): boolean {
  return e.status === 0;
}

/** The variant key for a request, given the header names a response varied on. */
export function variantKey(
  primary: string,
  vary: readonly string[],
  headers: CfHeaders,
  acceptEncoding: string | undefined,
): string {
  let k = primary + '\u0001v';
  for (const name of vary) {
    // Accept-Encoding is already normalized into the key (spec 7.2); vary on the normalized value.
    const v =
      name === 'accept-encoding' ? (acceptEncoding ?? '') : (headers[name]?.map((e) => e.value).join(', ') ?? '');
    k += '\u0002' + name + '=' + v;
  }
  return k;
}

/** Synchronous memory lookup through a vary record; `undefined` means "ask the slower tier". */
export function lookupSync(
  cache: CacheStore,
  key: string,
  txn: ViewerTxn,
  headers: CfHeaders,
): CacheEntry | null | undefined {
  const e = cache.get(key);
  if (e === undefined) return undefined;
  if (!isVaryRecord(e)) return e;
  return cache.get(variantKey(key, e.vary, headers, txn.acceptEncoding)) ?? undefined;
}

export async function lookupAsync(
  cache: CacheStore,
  key: string,
  txn: ViewerTxn,
  headers: CfHeaders,
): Promise<CacheEntry | null> {
  const e = await cache.getAsync(key);
  if (!e) return null;
  if (!isVaryRecord(e)) return e;
  return (await cache.getAsync(variantKey(key, e.vary, headers, txn.acceptEncoding))) ?? null;
}

/** Store an entry (already keyed by its primary key), writing a vary record when it varies. */
export function storeEntry(
  cache: CacheStore,
  entry: CacheEntry,
  headers: CfHeaders,
  acceptEncoding: string | undefined,
): CacheEntry {
  if (entry.vary.length === 0) {
    cache.set(entry);
    return entry;
  }
  const primary = entry.key;
  const record: CacheEntry = {
    ...entry,
    status: 0,
    statusText: '',
    headers: {},
    body: Buffer.alloc(0),
    size: 64 + primary.length,
  };
  cache.set(record);
  const variant = { ...entry, key: variantKey(primary, entry.vary, headers, acceptEncoding) };
  cache.set(variant);
  return variant;
}

/** Current age of an entry in seconds (RFC 9111 4.2.3, with the origin's initial Age). */
export function ageOf(entry: CacheEntry, now: number): number {
  return Math.max(0, Math.floor(entry.initialAgeSec + (now - entry.storedAt) / 1000));
}

export function responseFromEntry(entry: CacheEntry): EdgeResponse {
  // The pipeline stores whole bodies (set); streamed objects arrive with the streaming fetch.
  if (!Buffer.isBuffer(entry.body)) throw new Error(`cache entry ${entry.key} has a streamed body`);
  return { status: entry.status, statusText: entry.statusText, headers: cloneHeaders(entry.headers), body: entry.body };
}
