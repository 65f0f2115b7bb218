/**
 * @module edge/compress/compress
 * Edge compression (`Compress: true`, spec 7.5, DG "Serving compressed files"): whether to
 * compress a response, doing it, and the header changes that go with it. Brotli is preferred
 * when the viewer accepts both; HTTP/1.0 viewers never get compressed content.
 */
import { promisify } from 'node:util';
import { brotliCompress, constants as z, createBrotliCompress, createGzip, gzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import { getHeader, getHeaderJoined, setHeader } from '../../shared/lambda-edge/index.js';
import { isCompressibleType } from './content-types.js';

export type Encoding = 'br' | 'gzip';

export interface ChooseEncodingInput {
  /** The Accept-Encoding after cache-key normalization (spec 7.2): `br,gzip`, `gzip`, `br`, `identity` or absent. */
  acceptEncoding: string | undefined;
  /** The viewer's HTTP version (`1.0`, `1.1`, `2.0`). */
  httpVersion: string;
  /** Status of the response about to be delivered. */
  status: number;
  /** Response headers (Content-Type, Content-Length, Content-Encoding are read). */
  headers: CfHeaders;
  bodyLength: number;
  /** The behavior's `Compress` flag. */
  compressEnabled: boolean;
}

/** Only these statuses are compressed (spec 7.5). */
const COMPRESSIBLE_STATUS = new Set([200, 403, 404]);
export const MIN_COMPRESS_BYTES = 1_000;
export const MAX_COMPRESS_BYTES = 10_000_000;

/** The encoding to apply, or null to deliver the body as is. */
export function chooseEncoding(input: ChooseEncodingInput): Encoding | null {
  if (!input.compressEnabled || input.acceptEncoding === undefined) return null;
  // CloudFront removes Accept-Encoding from HTTP/1.0 requests and never compresses for them.
  if (input.httpVersion === '1.0' || input.httpVersion === '0.9') return null;
  if (!COMPRESSIBLE_STATUS.has(input.status)) return null;
  const h = input.headers;
  // Any Content-Encoding, whatever its value, means the origin already chose (DG).
  if (h['content-encoding']?.length) return null;
  // No Content-Length from the origin → no compression (DG), and the size must be in range.
  if (getHeader(h, 'content-length') === undefined) return null;
  if (input.bodyLength < MIN_COMPRESS_BYTES || input.bodyLength > MAX_COMPRESS_BYTES) return null;
  if (!isCompressibleType(getHeader(h, 'content-type'))) return null;
  const tokens = input.acceptEncoding
    .toLowerCase()
    .split(',')
    .map((t) => t.split(';')[0]!.trim());
  if (tokens.includes('br')) return 'br';
  if (tokens.includes('gzip')) return 'gzip';
  return null;
}

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Brotli quality 5 and gzip level 6 trade ratio for speed the way an edge must (compression
 * happens on the miss path, once per cached variant). Runs on libuv's thread pool.
 */
export function compress(body: Buffer, enc: Encoding): Promise<Buffer> {
  if (enc === 'br') {
    return brotliAsync(body, {
      params: { [z.BROTLI_PARAM_QUALITY]: 5, [z.BROTLI_PARAM_SIZE_HINT]: body.length },
    });
  }
  return gzipAsync(body, { level: 6 });
}

/**
 * The same compression as `compress`, as a stream (issue 12): a body arriving from the origin is
 * compressed as it arrives, never held whole. An error of the source errors the result.
 */
export function compressStream(source: Readable, enc: Encoding, sizeHint: number): Readable {
  const z2 =
    enc === 'br'
      ? createBrotliCompress({ params: { [z.BROTLI_PARAM_QUALITY]: 5, [z.BROTLI_PARAM_SIZE_HINT]: sizeHint } })
      : createGzip({ level: 6 });
  source.on('error', (e) => z2.destroy(e));
  z2.on('close', () => {
    if (!source.readableEnded) source.destroy();
  });
  return source.pipe(z2);
}

/**
 * Header changes for a compressed body: Content-Encoding, Content-Length, `Vary: Accept-Encoding`
 * (merged into any existing Vary), and the ETag rule of spec 7.5: a strong ETag becomes weak
 * (`W/` prefix), a weak one is kept, an invalid one (not starting with `"` or `W/`) is removed.
 */
export function applyCompressionHeaders(headers: CfHeaders, enc: Encoding, newLength: number | null): void {
  setHeader(headers, 'content-encoding', enc, 'Content-Encoding');
  // A body compressed as it streams has no length until it ends.
  if (newLength === null) delete headers['content-length'];
  else setHeader(headers, 'content-length', String(newLength), 'Content-Length');
  mergeVary(headers, 'Accept-Encoding');
  const etag = getHeader(headers, 'etag');
  if (etag !== undefined) {
    if (etag.startsWith('"')) setHeader(headers, 'etag', `W/${etag}`);
    else if (!etag.startsWith('W/')) delete headers['etag'];
  }
}

/** Add a field name to Vary unless it (or `*`) is already there; several lines become one. */
export function mergeVary(headers: CfHeaders, name: string): void {
  const current = getHeaderJoined(headers, 'vary');
  if (current === undefined || current.trim() === '') {
    setHeader(headers, 'vary', name, 'Vary');
    return;
  }
  const names = current
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.includes('*') || names.some((n) => n.toLowerCase() === name.toLowerCase())) {
    if (headers['vary']!.length > 1) setHeader(headers, 'vary', names.join(', '));
    return;
  }
  setHeader(headers, 'vary', [...names, name].join(', '));
}
