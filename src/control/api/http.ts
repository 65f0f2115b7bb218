/**
 * @module control/api/http
 * What the API's HTTP answers mean, apart from the framework that sends them (Fastify,
 * server.ts): the error body of docs/api.md and its status for every error code, the body-limit
 * and not-JSON errors, ETags (`"r<N>"`) and If-Match (RFC 9110 13.1.1), and the framing of
 * server-sent events, which the Hub writes to long-lived streams outside any request handler.
 */
import type { ServerResponse } from 'node:http';
import { ERROR_CODES, VergeError, toVergeError } from '../../shared/errors.js';

/** Function packages arrive base64-encoded in JSON: 50 MB of zip is about 67 MB of text. */
export const MAX_BODY_BYTES = 72 * 1024 * 1024;

/** A body over the route's limit: 413 with the API's error body (docs/api.md). */
export function tooLarge(limit: number): VergeError {
  return new VergeError('VALIDATION_FAILED', `the request body exceeds ${limit} bytes`, {
    details: { status: 413, fields: [{ path: '$', message: `larger than ${limit} bytes` }] },
  });
}

/** A body that does not parse: 400 naming where JSON.parse stopped. */
export function notJson(e: Error): VergeError {
  return new VergeError('VALIDATION_FAILED', `the request body is not JSON: ${e.message}`, {
    details: { fields: [{ path: '$', message: 'is not valid JSON' }] },
  });
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
