/**
 * @module edge/server/listen
 * The viewer listeners: HTTP/1.1, and HTTPS with HTTP/2 (ALPN, HTTP/1.1 fallback). Requests the
 * HTTP parser rejects (bad request line, CR/LF in a header, both Content-Length and
 * Transfer-Encoding, oversize headers) get a 4xx and never reach the pipeline (spec 0.1).
 */
import { createServer, type Server } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';

/** CloudFront's limit on the request line plus headers (spec 0.1, 4.3). */
export const MAX_HEADER_BYTES = 20_480;

type Handler = Parameters<typeof createServer>[1];

/**
 * Called for each request the parser refused, before the answer is written: it returns extra
 * response headers (the edge's Via, X-Verge-Pop, X-Verge-Request-Id, Date) and may log the
 * request, so malformed requests are as observable as any other.
 */
export type ClientErrorHook = (status: number, parserCode: string, socket: Duplex) => Record<string, string>;

export interface ListenOptions {
  host: string;
  port: number;
  onClientError?: ClientErrorHook;
  /** Node's HTTP/1 clocks, lowered by tests; never a whole-request timeout (see HTTP1_TIMEOUTS). */
  timeouts?: Partial<Http1Timeouts>;
}

/** Answer a request the parser refused, then close the connection (CloudFront closes it too). */
function clientErrorHandler(hook: ClientErrorHook | undefined) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const code = err.code ?? '';
    const status =
      code === 'HPE_HEADER_OVERFLOW'
        ? 413
        : code === 'HPE_URI_TOO_LONG'
          ? 414
          : code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? 408
            : 400;
    refuse(socket, status, code, hook);
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  414: 'URI Too Long',
};

/** Write a small 4xx with the edge's headers and close the connection. */
function refuse(socket: Duplex, status: number, code: string, hook: ClientErrorHook | undefined): void {
  const text = STATUS_TEXT[status] ?? 'Bad Request';
  const body = `${status} ${text}\n`;
  let extra = '';
  try {
    for (const [k, v] of Object.entries(hook?.(status, code, socket) ?? {})) extra += `${k}: ${v}\r\n`;
  } catch {
    // A failing hook must not keep the viewer from getting its 4xx.
  }
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nServer: Verge\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n` +
      `X-Cache: Error from verge\r\n${extra}Connection: close\r\n\r\n${body}`,
  );
}

/**
 * CONNECT is not an allowed method on any behavior (CloudFront's method sets exclude it), so it
 * gets CloudFront's 403 for a disallowed method. Node hands CONNECT to a 'connect' listener, and
 * without one it closed the socket with no answer.
 */
function onConnect(hook: ClientErrorHook | undefined) {
  return (_req: unknown, socket: Duplex): void => {
    if (!socket.writable) return void socket.destroy();
    refuse(socket, 403, 'CONNECT', hook);
  };
}

/**
 * Node's clocks on an HTTP/1 connection. headersTimeout bounds the request line and headers
 * (slowloris), and keepAliveTimeout an idle connection between requests. requestTimeout would
 * bound the whole request, body included: at 60 s it cut any upload longer than a minute
 * whatever the body cap (30 GB), so it is off (0), and a body is bounded instead by the clocks
 * that judge whether it keeps moving, the same on HTTP/1 and HTTP/2 (server/viewer-body.ts: an
 * idle timeout between reads and a minimum average rate). A request without a body is complete
 * with its headers; a body the edge does not read is dropped with a time-bounded lingering close.
 */
export interface Http1Timeouts {
  headersTimeout: number;
  keepAliveTimeout: number;
  /** How often Node checks headersTimeout (its default, 30 s; so headers may take up to 50 s). */
  connectionsCheckingInterval: number;
}
export const HTTP1_TIMEOUTS: Http1Timeouts = {
  headersTimeout: 20_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 30_000,
};
const http1Timeouts = (o: Partial<Http1Timeouts> = {}) => ({ ...HTTP1_TIMEOUTS, ...o, requestTimeout: 0 });

export function listenHttp(opts: ListenOptions, handler: Handler): Promise<Server> {
  const server = createServer(
    // requireHostHeader off: the handler answers a missing Host itself (400 with the edge's headers).
    { maxHeaderSize: MAX_HEADER_BYTES, ...http1Timeouts(opts.timeouts), requireHostHeader: false },
    handler,
  );
  server.on('clientError', clientErrorHandler(opts.onClientError));
  server.on('connect', onConnect(opts.onClientError));
  // Without this listener Node answers `Expect: 100-continue` itself, before any check: the
  // handler grants it only when the body is about to be read (server/viewer-body.ts).
  server.on('checkContinue', handler!);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function listenHttps(
  opts: ListenOptions & { cert: string | Buffer; key: string | Buffer },
  handler: (req: any, res: any) => void,
): Promise<Http2SecureServer> {
  const server = createSecureServer(
    // HPACK counts 32 bytes of overhead per header (RFC 7541 4.1), so the session-level cap is
    // looser; the handler answers 413 at CloudFront's 20,480 bytes. Beyond 4x the stream is reset.
    { cert: opts.cert, key: opts.key, allowHTTP1: true, settings: { maxHeaderListSize: 4 * MAX_HEADER_BYTES } },
    handler,
  );
  // The HTTP/1.1 fallback parser reads `maxHeaderSize` from the server object (Node's http
  // connection listener); without it HTTPS/1.1 would refuse headers over Node's 16 KiB default.
  (server as unknown as { maxHeaderSize: number }).maxHeaderSize = MAX_HEADER_BYTES;
  (server as unknown as { requireHostHeader: boolean }).requireHostHeader = false;
  // Its HTTP/1.1 fallback has Node's defaults otherwise (a 300 s requestTimeout, 60 s for headers):
  // the same clocks as the plain HTTP/1 listener instead.
  Object.assign(server, http1Timeouts(opts.timeouts));
  server.on('clientError' as 'session', clientErrorHandler(opts.onClientError) as any);
  server.on('checkContinue', handler);
  // An Http2SecureServer has no closeAllConnections, and close() waits for every session a viewer
  // keeps open: the edge's close() would never finish. Track the TLS sockets and offer the same
  // method the HTTP/1 server has, so the edge closes both kinds alike.
  const sockets = new Set<TLSSocket>();
  server.on('secureConnection', (s: TLSSocket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  Object.defineProperty(server, 'closeAllConnections', {
    value: () => {
      for (const s of sockets) s.destroy();
    },
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
