/**
 * @module bench/lib/object
 * The benchmark's object: 1 KiB, cacheable for an hour (`Cache-Control: max-age=3600`), with
 * the validators an origin usually sends. The origin and the bare Node server both serve it
 * through `createObjectServer`, so every contender returns the same bytes.
 */
import { createServer, type Server } from 'node:http';

export const OBJECT_SIZE = 1024;
const body = Buffer.alloc(OBJECT_SIZE, 'verge-bench-1KiB-'.repeat(4));
const lastModified = new Date(Date.UTC(2026, 0, 1)).toUTCString();

export const OBJECT_HEADERS: Record<string, string> = {
  'content-type': 'application/octet-stream',
  'content-length': String(OBJECT_SIZE),
  'cache-control': 'max-age=3600',
  etag: '"verge-bench-1"',
  'last-modified': lastModified,
};

/** A server answering every GET with the object; `onRequest` counts requests (origin fetches). */
export function createObjectServer(onRequest?: () => void): Server {
  return createServer((req, res) => {
    onRequest?.();
    res.writeHead(200, OBJECT_HEADERS);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}
