/**
 * @module edge/cache/disk-format
 * The on-disk form of one cache entry. A meta file named by the SHA-256 of the key holds
 * `VRGC2\n`, a 4-byte big-endian header length and a JSON header (every CacheEntry field but the
 * body, plus the body's length, where it is, and for inline bodies its SHA-256). A small body
 * (one stored whole) follows the header in the same file and is checked against its digest on
 * every read. A streamed body lives in its own file, `<sha>.<id>`, written as it arrived: a new
 * name per version, so a reader of the old version keeps its bytes while the new one is written,
 * and updating the headers after a 304 rewrites only the meta file. Its length is checked when a
 * reader opens it (fileBody); a digest is not, because it would cost a full read per hit.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CacheEntry } from './types.js';

const MAGIC = Buffer.from('VRGC2\n', 'latin1');
export const PREFIX_BYTES = MAGIC.length + 4;
/** Headers beyond this are treated as corruption (response headers are capped far lower). */
export const MAX_HEADER_BYTES = 8 * 1024 * 1024;

/** The JSON header; `staleIfErrorMs` is null for Infinity (JSON has no Infinity). */
export interface DiskHeader extends Omit<CacheEntry, 'body' | 'staleIfErrorMs'> {
  staleIfErrorMs: number | null;
  bodyLength: number;
  /** The body file's name in the same folder; null when the body follows the header. */
  bodyFile: string | null;
  /** SHA-256 of an inline body; null for a body file. */
  bodySha256: string | null;
}

/** The meta file name for a key: its SHA-256, under a two-hex-digit fan-out directory. */
export function fileNameFor(key: string): { dir: string; name: string } {
  const h = createHash('sha256').update(key).digest('hex');
  return { dir: h.slice(0, 2), name: h };
}

/** A fresh body file name for a meta file name. */
export function bodyFileNameFor(metaName: string): string {
  return `${metaName}.${randomBytes(6).toString('hex')}`;
}

export const META_NAME = /^[0-9a-f]{64}$/;
export const BODY_NAME = /^[0-9a-f]{64}\.[0-9a-f]{12}$/;

/** Encode a meta file: `body` is the inline body, or null with `bodyFile` naming the body file. */
export function encodeMeta(
  entry: CacheEntry,
  body: Buffer | null,
  bodyFile: string | null,
  bodyLength: number,
): Buffer[] {
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
    bodyLength,
    bodyFile,
    bodySha256: body ? createHash('sha256').update(body).digest('hex') : null,
  };
  if (entry.etag !== undefined) header.etag = entry.etag;
  if (entry.lastModified !== undefined) header.lastModified = entry.lastModified;
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32BE(json.length, MAGIC.length);
  return body ? [prefix, json, body] : [prefix, json];
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
    isByteCount(d.bodyLength) &&
    (d.size === undefined || isByteCount(d.size)) &&
    (d.bodyFile === null ? typeof d.bodySha256 === 'string' : typeof d.bodyFile === 'string') &&
    (d.bodyFile === null || BODY_NAME.test(d.bodyFile)) &&
    Array.isArray(d.tags) &&
    Array.isArray(d.vary) &&
    typeof d.invalidationPath === 'string';
  return ok ? d : undefined;
}

/**
 * A length or size as JSON keeps it exactly: a whole number from 0 to 2^53 - 1 (8 PiB), so a
 * 20 GiB object round-trips, and a damaged header (negative, fractional) cannot skew the budget.
 */
function isByteCount(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}

export type DecodedMeta =
  | { entry: Omit<CacheEntry, 'body'>; body: Buffer }
  | { entry: Omit<CacheEntry, 'body'>; bodyFile: string; bodyLength: number };

/** Decode a whole meta file; undefined when anything (length, magic, JSON, key, digest) is off. */
export function decodeMeta(file: Buffer, expectedKey: string): DecodedMeta | undefined {
  const hlen = headerLength(file);
  if (hlen === undefined || file.length < PREFIX_BYTES + hlen) return undefined;
  const header = parseHeader(file.subarray(PREFIX_BYTES, PREFIX_BYTES + hlen));
  if (header === undefined || header.key !== expectedKey) return undefined;
  const { bodyLength, bodySha256, bodyFile, staleIfErrorMs, ...rest } = header;
  const entry = { ...rest, staleIfErrorMs: staleIfErrorMs ?? Infinity };
  const tail = file.subarray(PREFIX_BYTES + hlen);
  if (bodyFile !== null) return tail.length === 0 ? { entry, bodyFile, bodyLength } : undefined;
  if (tail.length !== bodyLength) return undefined;
  if (createHash('sha256').update(tail).digest('hex') !== bodySha256) return undefined;
  // Copy the body out of the file buffer so the entry does not pin the header bytes.
  return { entry, body: Buffer.from(tail) };
}
