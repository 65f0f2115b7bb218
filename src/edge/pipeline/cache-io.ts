/**
 * @module edge/pipeline/cache-io
 * How the pipeline reads and writes the cache: Vary variants (a small "vary record" at the
 * primary key names the headers, the object itself lives under a variant key), and turning an
 * entry into a response with its Age.
 */
import { cloneHeaders, type CfHeaders } from '../../shared/lambda-edge/index.js';
import type { CacheEntry, CacheStore, OpenWrite } from '../cache/types.js';
import { GrowingBody } from '../body/index.js';
import type { ViewerTxn, EdgeResponse, FetchResult } from './transaction.js';

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
  const variant = keyedVariant(cache, entry, headers, acceptEncoding);
  cache.set(variant);
  return variant;
}

/**
 * Start storing an object whose body is still arriving (`meta` has no body yet), under its Vary
 * variant like `storeEntry`: the store's writer, or why the store will not take it.
 */
export function openStoredEntry(
  cache: CacheStore,
  meta: CacheEntry,
  headers: CfHeaders,
  acceptEncoding: string | undefined,
  length: number | null,
): OpenWrite {
  return cache.openWrite(keyedVariant(cache, meta, headers, acceptEncoding), length);
}

/** The entry under the key it is stored at; a varying one writes its vary record first. */
function keyedVariant(
  cache: CacheStore,
  entry: CacheEntry,
  headers: CfHeaders,
  acceptEncoding: string | undefined,
): CacheEntry {
  if (entry.vary.length === 0) return entry;
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
  return { ...entry, key: variantKey(primary, entry.vary, headers, acceptEncoding) };
}

/** Current age of an entry in seconds (RFC 9111 4.2.3, with the origin's initial Age). */
export function ageOf(entry: CacheEntry, now: number): number {
  return Math.max(0, Math.floor(entry.initialAgeSec + (now - entry.storedAt) / 1000));
}

/**
 * The entry as one viewer's response. A stored buffer is shared; a body in a file or still being
 * written gives this viewer its own claim on it (opened by transmit, or discarded by whoever
 * replaces the response), so each viewer reads at its own pace.
 */
export function responseFromEntry(entry: CacheEntry): EdgeResponse {
  const b = entry.body;
  return {
    status: entry.status,
    statusText: entry.statusText,
    headers: cloneHeaders(entry.headers),
    body: Buffer.isBuffer(b) ? b : b.handle(),
  };
}

/**
 * A fetch's result answered from an entry: a buffer body is shared, a file or growing body is
 * handed to each viewer of the fetch as its own claim (`viewerBody`).
 */
export function resultFromEntry(entry: CacheEntry, source: FetchResult['source']): FetchResult {
  const b = entry.body;
  const response = {
    status: entry.status,
    statusText: entry.statusText,
    headers: cloneHeaders(entry.headers),
    body: Buffer.isBuffer(b) ? b : Buffer.alloc(0),
  };
  return Buffer.isBuffer(b) ? { response, source, stored: entry } : { response, source, stored: entry, bodySource: b };
}

/** One viewer's body of a fetch's result (see FetchResult.bodySource). */
export function viewerBodyOf(r: FetchResult): EdgeResponse['body'] {
  return r.bodySource ? r.bodySource.handle() : r.response.body;
}

/** True while the entry's body is still arriving from the origin (a streaming busy object). */
export function isBusy(entry: CacheEntry): boolean {
  return entry.body instanceof GrowingBody && entry.body.state === 'writing';
}
