/**
 * @module edge/cache/disk-format
 * The on-disk form of one cache entry: `VRGC1\n`, a 4-byte big-endian header length, a JSON
 * header (every CacheEntry field but the body, plus the body's length and SHA-256), then the
 * body. Decoding checks all of it, so a truncated or corrupted file is detected, never served.
 */
import { createHash } from 'node:crypto';
import type { CacheEntry } from './types.js';

const MAGIC = Buffer.from('VRGC1\n', 'latin1');
export const PREFIX_BYTES = MAGIC.length + 4;
/** Headers beyond this are treated as corruption (response headers are capped far lower). */
export const MAX_HEADER_BYTES = 8 * 1024 * 1024;

/** The JSON header; `staleIfErrorMs` is null for Infinity (JSON has no Infinity). */
export interface DiskHeader extends Omit<CacheEntry, 'body' | 'staleIfErrorMs'> {
  staleIfErrorMs: number | null;
  bodyLength: number;
  bodySha256: string;
}

/** The file name for a key: its SHA-256, under a two-hex-digit fan-out directory. */
export function fileNameFor(key: string): { dir: string; name: string } {
  const h = createHash('sha256').update(key).digest('hex');
  return { dir: h.slice(0, 2), name: h };
}

export function encodeEntry(entry: CacheEntry): Buffer[] {
  const header: DiskHeader = {
    key: entry.key,
    distributionId: entry.distributionId,
    status: entry.status,
    statusText: entry.statusText,
    headers: entry.headers,
    storedAt: entry.storedAt,
    initialAgeSec: entry.initialAgeSec,
    ttlMs: entry.ttlMs,
    staleWhileRevalidateMs: entry.staleWhileRevalidateMs,
    staleIfErrorMs: Number.isFinite(entry.staleIfErrorMs) ? entry.staleIfErrorMs : null,
    tags: entry.tags,
    invalidationPath: entry.invalidationPath,
    vary: entry.vary,
    size: entry.size,
    bodyLength: entry.body.length,
    bodySha256: createHash('sha256').update(entry.body).digest('hex'),
  };
  if (entry.etag !== undefined) header.etag = entry.etag;
  if (entry.lastModified !== undefined) header.lastModified = entry.lastModified;
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32BE(json.length, MAGIC.length);
  return [prefix, json, entry.body];
}

/** The header length from the first PREFIX_BYTES, or undefined when the magic is wrong. */
export function headerLength(prefix: Buffer): number | undefined {
  if (prefix.length < PREFIX_BYTES || !prefix.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const n = prefix.readUInt32BE(MAGIC.length);
  return n > 0 && n <= MAX_HEADER_BYTES ? n : undefined;
}

/** Parse and sanity-check a header; undefined when it is not one of ours. */
export function parseHeader(json: Buffer): DiskHeader | undefined {
  let h: unknown;
  try {
    h = JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof h !== 'object' || h === null) return undefined;
  const d = h as DiskHeader;
  const ok =
    typeof d.key === 'string' &&
    typeof d.distributionId === 'string' &&
    typeof d.status === 'number' &&
    typeof d.headers === 'object' &&
    d.headers !== null &&
    typeof d.storedAt === 'number' &&
    typeof d.ttlMs === 'number' &&
    typeof d.bodyLength === 'number' &&
    typeof d.bodySha256 === 'string' &&
    Array.isArray(d.tags) &&
    Array.isArray(d.vary) &&
    typeof d.invalidationPath === 'string';
  return ok ? d : undefined;
}

/** Decode a whole file; undefined when anything (length, magic, JSON, key, digest) is off. */
export function decodeEntry(file: Buffer, expectedKey: string): CacheEntry | undefined {
  const hlen = headerLength(file);
  if (hlen === undefined || file.length < PREFIX_BYTES + hlen) return undefined;
  const header = parseHeader(file.subarray(PREFIX_BYTES, PREFIX_BYTES + hlen));
  if (header === undefined || header.key !== expectedKey) return undefined;
  const body = file.subarray(PREFIX_BYTES + hlen);
  if (body.length !== header.bodyLength) return undefined;
  if (createHash('sha256').update(body).digest('hex') !== header.bodySha256) return undefined;
  const { bodyLength: _len, bodySha256: _sha, staleIfErrorMs, ...rest } = header;
  // Copy the body out of the file buffer so the entry does not pin the header bytes.
  return { ...rest, staleIfErrorMs: staleIfErrorMs ?? Infinity, body: Buffer.from(body) };
}
