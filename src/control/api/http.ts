/**
 * @module control/api/http
 * Request and response plumbing for the API over node:http: bounded JSON bodies, JSON and
 * binary answers, the error body of docs/api.md, ETags (`"r<N>"`) and If-Match (RFC 9110
 * 13.1.1), and server-sent event streams.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CODES, VergeError, toVergeError } from '../../shared/errors.js';

/** Function packages arrive base64-encoded in JSON: 50 MB of zip is about 67 MB of text. */
export const MAX_BODY_BYTES = 72 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): VergeError {
  return new VergeError('VALIDATION_FAILED', `the request body exceeds ${limit} bytes`, {
    details: { status: 413, fields: [{ path: '$', message: `larger than ${limit} bytes` }] },
  });
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const buf = await readBody(req);
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (e) {
    throw new VergeError('VALIDATION_FAILED', `the request body is not JSON: ${(e as Error).message}`, {
      details: { fields: [{ path: '$', message: 'is not valid JSON' }] },
    });
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': data.length,
    ...headers,
  });
  res.end(data);
}

export function sendBytes(
  res: ServerResponse,
  data: Buffer,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(200, { 'content-type': contentType, 'content-length': data.length, ...headers });
  res.end(data);
}

export function sendEmpty(res: ServerResponse, status = 204, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** The HTTP status and the `{ error }` body for anything thrown by a handler. */
export function errorReply(e: unknown): { status: number; body: unknown } {
  const err = toVergeError(e);
  const d = err.details ?? {};
  let status = typeof d.status === 'number' ? d.status : ((ERROR_CODES[err.code] as { status?: number }).status ?? 500);
  if (err.code === 'CONFIG_INVALID' || err.code === 'INVALIDATION_INVALID' || err.code === 'CONFIG_DUPLICATE_ALIAS')
    status = 400;
  const fields = Array.isArray(d.fields) ? d.fields : Array.isArray(d.problems) ? d.problems : undefined;
  const extra = Object.fromEntries(Object.entries(d).filter(([k]) => !['status', 'fields', 'problems'].includes(k)));
  const error = {
    code: err.code,
    message: err.code === 'INTERNAL' ? `internal error: ${err.message}` : err.message,
    ...(fields ? { fields } : {}),
    ...(Object.keys(extra).length > 0 ? { details: extra } : {}),
  };
  return { status, body: { error } };
}

export function etagOf(revision: number): string {
  return `"r${revision}"`;
}

/**
 * If-Match (RFC 9110 13.1.1): `*` or a list of entity tags; a weak tag never matches (strong
 * comparison). Throws PRECONDITION_FAILED when the header is present and names no current tag.
 */
export function checkIfMatch(header: string | undefined, revision: number | undefined, what: string): void {
  if (header === undefined) return;
  if (header.trim() === '*' && revision !== undefined) return;
  const current = revision === undefined ? undefined : etagOf(revision);
  const tags = header.split(',').map((t) => t.trim());
  if (current !== undefined && tags.includes(current)) return;
  throw new VergeError(
    'PRECONDITION_FAILED',
    `${what} changed since you read it (If-Match ${header}, current ${current ?? 'none'}): read it again and retry`,
    { details: { current: current ?? null } },
  );
}

/** Start a server-sent event stream (HTML Living Standard 9.2). */
export function openEventStream(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
}

export function writeEvent(res: ServerResponse, event: string, data: unknown): boolean {
  if (res.writableEnded || res.destroyed) return false;
  return res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
