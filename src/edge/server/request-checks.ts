/**
 * @module edge/server/request-checks
 * The checks a parsed viewer request must pass before the pipeline routes it: CloudFront's URL
 * and header limits (spec 0.1, 4.3) and the HTTP/1.1 message rules Node's parser lets through
 * (RFC 9112 2.3, 3.2). Each failure is a typed error that `synth` turns into the 4xx with the
 * edge's headers and an access-log line.
 */
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { VergeError } from '../../shared/errors.js';
import type { ViewerTxn } from '../pipeline/transaction.js';
import { MAX_HEADER_BYTES } from './listen.js';

/** CloudFront's URL limit (spec 0.1, 4.3). */
export const MAX_URL_BYTES = 8192;

const SUPPORTED_VERSIONS = new Set(['1.0', '1.1', '2.0']);

/** A Host value: an IP literal or reg-name (RFC 3986 3.2.2), an optional port; empty is allowed. */
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::\d{0,5})?$/;

/** The first problem with the request, or null. `h2` says the request came over an HTTP/2 session. */
export function requestProblem(
  req: IncomingMessage | Http2ServerRequest,
  txn: ViewerTxn,
  h2: boolean,
): VergeError | null {
  const rawUrl = txn.rawUrl;
  const urlBytes = Buffer.byteLength(rawUrl);
  if (urlBytes > MAX_URL_BYTES) {
    return new VergeError('REQUEST_URL_TOO_LONG', `the URL is ${urlBytes} bytes; the limit is ${MAX_URL_BYTES}`);
  }
  // llhttp accepts an HTTP/0.9-style request line (no version) and still parses headers after
  // it; CloudFront speaks HTTP/1.0, 1.1 and 2 only (RFC 9112 2.3: the version is required).
  if (!SUPPORTED_VERSIONS.has(req.httpVersion)) {
    return new VergeError('REQUEST_MALFORMED', `HTTP version "${req.httpVersion}" is not supported`);
  }
  // "HTTP/2.0" in a text request line is not HTTP/2 (which is binary, over TLS with ALPN here):
  // forwarding it would claim a version the viewer never spoke (RFC 9110 15.6.6: 505).
  if (req.httpVersion === '2.0' && !h2) {
    return new VergeError(
      'REQUEST_VERSION_NOT_SUPPORTED',
      'HTTP/2.0 in an HTTP/1 request line is not supported: send HTTP/1.1, or HTTP/2 over TLS',
    );
  }
  // HTTP/2 has no request line; its limit is checked on the HTTP/1.1 rendering of the same
  // request so that both protocols answer 413 at the same size (spec 0.1, 4.3).
  if (h2 && h2HeadBytes(req) > MAX_HEADER_BYTES) {
    return new VergeError('REQUEST_HEADERS_TOO_LARGE', `the request line and headers exceed ${MAX_HEADER_BYTES} bytes`);
  }
  // RFC 9112 3.2: origin-form (`/path`) or absolute-form (`http://host/path`); anything else
  // (`x`, `*`, authority-form) would otherwise be turned into a path and forwarded.
  if (!rawUrl.startsWith('/') && !/^https?:\/\//i.test(rawUrl)) {
    return new VergeError(
      'REQUEST_MALFORMED',
      `the request target "${rawUrl.slice(0, 64)}" is not a path or an http(s) URL`,
    );
  }
  const host = hostProblem(txn);
  return host ? new VergeError('REQUEST_MALFORMED', host) : null;
}

/** `METHOD target HTTP/1.1` plus `Name: value` lines, as the request would be sent over HTTP/1.1. */
function h2HeadBytes(req: IncomingMessage | Http2ServerRequest): number {
  let n = (req.method ?? '').length + Buffer.byteLength(req.url ?? '') + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) === 58 /* ':' */ && name !== ':authority') continue;
    n += name.length + Buffer.byteLength(raw[i + 1]!) + 4;
  }
  return n + 2;
}

/**
 * RFC 9112 3.2: an HTTP/1.1 request without Host, with more than one Host, or with an invalid
 * Host gets 400. Two Host lines would otherwise let the viewer pick one value for routing and
 * have another seen downstream. (Node's own missing-Host 400 is off so the answer carries the
 * edge's headers; see listen.ts.)
 */
function hostProblem(txn: ViewerTxn): string | null {
  const list = txn.request.headers['host'];
  if (!list || list.length === 0)
    return txn.conn.httpVersion === '1.1' ? 'an HTTP/1.1 request needs a Host header' : null;
  if (list.length > 1) return 'the request has more than one Host header';
  if (!HOST_VALUE.test(list[0]!.value)) return `the Host header "${list[0]!.value}" is not valid`;
  return null;
}
