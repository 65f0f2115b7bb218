/**
 * @module edge/server/handler
 * The bridge between Node's HTTP objects and the pipeline: parse the viewer request into a
 * ViewerTxn (CloudFront-shaped headers, path and raw query), read the body, run the step table,
 * then transmit the response and write the access-log line and counters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as http2constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { titleCase, type CfHeaders } from '../../shared/lambda-edge/index.js';
import type { EdgePlan } from '../config/plan.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { runPipeline } from '../pipeline/run.js';
import type { ViewerConnection, ViewerTxn } from '../pipeline/transaction.js';
import type { AccessLogSink } from './access-log.js';
import { interimSink } from './interim.js';
import { requestProblem } from './request-checks.js';
import { newRequestId } from './request-id.js';
import { lingerClose, requestHasBody, viewerBody, type BodyBudget, type ViewerBodyLimits } from './viewer-body.js';
import { requestLabels } from '../observe/stats.js';
import { bodyLength, discardBody, isStreamBody, recyclerOf, type StreamBody } from '../body/index.js';
import { pipeline } from 'node:stream';

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/** Connection-specific headers HTTP/2 forbids in responses (RFC 9113 8.2.2). */
const H2_FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

export interface HandlerContext {
  deps: PipelineDeps;
  plan(): EdgePlan;
  accessLog: AccessLogSink;
  /** False when the access log is off and nobody taps it: the record is not even built. */
  accessLogEnabled: boolean;
  protocol: 'http' | 'https';
  /** Viewer bodies: the per-request limits and the PoP-wide budget (viewer-body.ts). */
  body: { limits: ViewerBodyLimits; budget: BodyBudget };
}

export function handleRequest(ctx: HandlerContext, req: Req, res: Res): void {
  const { deps } = ctx;
  const plan = ctx.plan();
  const startMono = deps.clock.monotonic();
  const requestId = newRequestId();
  const rawUrl = req.url ?? '/';
  const txn = newTxn(ctx, req, plan, requestId, rawUrl, startMono);
  const interim = interimSink(res, req.httpVersion);
  if (interim) txn.interim = interim;
  // An HTTP/2 request has a stream; a text request line that merely says "HTTP/2.0" has none.
  const h2stream = (req as Http2ServerRequest).stream as Http2ServerRequest['stream'] | undefined;
  // The body is not read here: `receive` reads it after the checks that need none (issue 9).
  if (requestHasBody(req)) {
    txn.pendingBody = viewerBody(req, res, ctx.body.limits, ctx.body.budget);
    txn.bodyStreams = true;
  }
  const problem = requestProblem(req, txn, h2stream !== undefined);
  if (problem) {
    txn.error = problem;
    return run(ctx, txn, res, 'synth');
  }
  run(ctx, txn, res, 'receive');
}

function newTxn(
  ctx: HandlerContext,
  req: Req,
  plan: EdgePlan,
  requestId: string,
  rawUrl: string,
  startMono: number,
): ViewerTxn {
  const { uri, querystring } = splitTarget(rawUrl);
  const headers: CfHeaders = {};
  const order: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.charCodeAt(0) === 58 /* ':' */) continue; // HTTP/2 pseudo-headers
    const lower = key.toLowerCase();
    order.push(key);
    (headers[lower] ??= []).push({ key, value: raw[i + 1]! });
  }
  // absolute-form (RFC 9112 3.2.2): the target's authority replaces any Host header.
  const absolute = rawUrl.startsWith('/') ? null : /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?([^/?#]*)/i.exec(rawUrl);
  if (absolute) headers['host'] = [{ key: headers['host']?.[0]?.key ?? 'Host', value: absolute[1]! }];
  const authority = (req as Http2ServerRequest).authority;
  if (!headers['host'] && authority) headers['host'] = [{ key: 'Host', value: authority }];
  const hostHeader = headers['host']?.[0]?.value ?? '';
  const socket = req.socket;
  const conn: ViewerConnection = {
    clientIp: normalizeIp(socket.remoteAddress ?? ''),
    clientPort: socket.remotePort ?? 0,
    protocol: ctx.protocol,
    httpVersion: req.httpVersion,
  };
  if (ctx.protocol === 'https') {
    const tls = socket as TLSSocket;
    const cipher = tls.getCipher?.();
    conn.tls = {
      version: tls.getProtocol?.() ?? 'unknown',
      cipher: cipher?.standardName ?? cipher?.name ?? 'unknown',
      handshake: tls.isSessionReused?.() ? 'sessionResumed' : 'fullHandshake',
    };
  }
  return {
    requestId,
    startedAt: ctx.deps.clock.now(),
    startMono,
    plan,
    conn,
    host: hostOnly(hostHeader),
    rawUrl,
    viewerHeaderOrder: order,
    request: { clientIp: conn.clientIp, method: req.method ?? 'GET', uri, querystring, headers },
    body: EMPTY,
    pendingBody: null,
    bodyStreams: false,
    dist: null,
    behavior: null,
    conditions: new Set(),
    cacheKey: null,
    invalidationPath: uri,
    acceptEncoding: undefined,
    staleEntry: null,
    response: null,
    originStatus: 0,
    resultType: 'Miss',
    detailedResultType: 'Miss',
    error: null,
    cloudFrontHeaders: null,
    ageSec: null,
    originLatencyMs: undefined,
    functionsRan: [],
    originOverride: null,
    range: null,
    errorPage: null,
  };
}

const EMPTY = Buffer.alloc(0);

/** Split a request target into the path (`uri`) and the raw query without `?` (spec 1.2). */
export function splitTarget(target: string): { uri: string; querystring: string } {
  let t = target;
  if (!t.startsWith('/')) {
    // absolute-form (RFC 9112 3.2.2): keep only the path and query
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(t);
    t = m ? t.slice(m[0].length) || '/' : '/' + t;
    if (!t.startsWith('/')) t = '/' + t;
  }
  const hash = t.indexOf('#');
  if (hash >= 0) t = t.slice(0, hash);
  const q = t.indexOf('?');
  return q < 0 ? { uri: t, querystring: '' } : { uri: t.slice(0, q), querystring: t.slice(q + 1) };
}

function hostOnly(h: string): string {
  const lower = h.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.lastIndexOf(':');
  return colon >= 0 ? lower.slice(0, colon) : lower;
}

function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

function run(ctx: HandlerContext, txn: ViewerTxn, res: Res, from: 'receive' | 'synth'): void {
  let done: void | Promise<void>;
  try {
    done = runPipeline(txn, ctx.deps, from);
  } catch (e) {
    ctx.deps.logger.log('error', 'pipeline crashed', {
      requestId: txn.requestId,
      error: String((e as Error)?.stack ?? e),
    });
    res.destroy();
    return;
  }
  if (done instanceof Promise) {
    done.then(
      () => transmit(ctx, txn, res),
      (e: unknown) => {
        ctx.deps.logger.log('error', 'pipeline crashed', {
          requestId: txn.requestId,
          error: String((e as Error)?.stack ?? e),
        });
        res.destroy();
      },
    );
  } else transmit(ctx, txn, res);
}

function transmit(ctx: HandlerContext, txn: ViewerTxn, res: Res): void {
  const r = txn.response!;
  const isH2 = txn.conn.httpVersion === '2.0';
  const headers = r.headers;
  // A HEAD answered without a body (forwarded as HEAD) keeps the origin's Content-Length: it
  // describes the GET response (RFC 9110 8.6), so "0" would be wrong.
  const headLength =
    txn.request.method === 'HEAD' && bodyLength(r.body) === 0 ? headers['content-length']?.[0]?.value : undefined;
  const noBody =
    txn.request.method === 'HEAD' || r.status === 304 || r.status === 204 || (r.status >= 100 && r.status < 200);
  // One pass over the map, skipping what the edge sets itself (Content-Length, Transfer-Encoding,
  // Connection) instead of deleting it: a `delete` turns the map into a slow dictionary object.
  const flat: string[] = [];
  for (const lower of Object.keys(headers)) {
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
    for (const e of headers[lower]!) {
      const key = e.key ?? titleCase(lower);
      if (isH2 && H2_FORBIDDEN.has(key.toLowerCase())) continue;
      flat.push(key, e.value);
    }
  }
  const length = bodyLength(r.body);
  // A body of unknown length (streaming from the origin, compressed as it streams) goes chunked.
  const lengthText = headLength ?? (length === null ? undefined : String(length));
  if (r.status !== 304 && r.status !== 204 && lengthText !== undefined) flat.push('Content-Length', lengthText);
  // A body left unread (refused before reading it, or past a limit) is not drained: HTTP/1 closes
  // the connection after the answer, HTTP/2 resets the stream with NO_ERROR (RFC 9113 8.1).
  const unread = txn.pendingBody !== null && !txn.pendingBody.complete;
  if (unread && !isH2) {
    flat.push('Connection', 'close');
    lingerClose(res as ServerResponse);
  }
  if (unread && isH2) {
    const stream = (res as Http2ServerResponse).stream;
    res.once('finish', () => {
      if (!stream.closed) stream.close(http2constants.NGHTTP2_NO_ERROR);
    });
  }
  try {
    if (isH2) (res as Http2ServerResponse).writeHead(r.status, toH2Headers(flat));
    else (res as ServerResponse).writeHead(r.status, r.statusText || undefined, flat);
    const body = r.body;
    if (noBody) {
      discardBody(body);
      res.end();
    } else if (isStreamBody(body)) return sendStream(ctx, txn, res, body);
    else res.end(body);
  } catch (e) {
    ctx.deps.logger.log('error', 'transmit failed', { requestId: txn.requestId, error: String(e) });
    discardBody(r.body);
    res.destroy();
  }
  finish(ctx, txn, noBody ? 0 : (length ?? 0));
}

/**
 * A body arriving from the origin goes to the viewer as it arrives, with backpressure both ways.
 * If the origin fails mid-body the viewer's connection (or HTTP/2 stream) is cut, so a short
 * body is never taken for a whole one; a viewer that leaves stops the origin transfer.
 */
function sendStream(ctx: HandlerContext, txn: ViewerTxn, res: Res, body: StreamBody): void {
  let sent = 0;
  const src = body.open();
  src.on('data', (c: Buffer) => (sent += c.length));
  if (txn.conn.httpVersion !== '2.0') giveBackWritten(res as ServerResponse, src);
  pipeline(src, res as NodeJS.WritableStream, (err) => {
    if (err) {
      ctx.deps.logger.log('warn', 'response body cut', {
        requestId: txn.requestId,
        sent,
        error: String((err as Error).message ?? err),
      });
      res.destroy();
    }
    finish(ctx, txn, sent);
  });
}

/**
 * A reader that reuses its buffers (a cached file, body.ts ChunkRecycler) gets each chunk back
 * once the socket's write callback says it has left the process: a 1 GiB hit then runs through
 * a few buffers, not 4096 new ones whose collection cost more CPU than the copies (issue 12).
 * Only this response's `write` is wrapped, so `pipeline` keeps its backpressure and error
 * handling. HTTP/1 only: an HTTP/2 stream's write callback does not promise that.
 */
function giveBackWritten(res: ServerResponse, src: Readable): void {
  const recycler = recyclerOf(src);
  if (!recycler) return;
  const write = res.write.bind(res) as (chunk: Buffer, cb: (err?: Error | null) => void) => boolean;
  res.write = ((chunk: Buffer) =>
    write(chunk, (err) => {
      if (!err) recycler.recycle(chunk);
    })) as ServerResponse['write'];
}

/**
 * A request the HTTP parser refused (listen.ts answers it): count it, write its access-log line
 * and return the headers every edge response carries, so a malformed request can be traced by
 * its X-Verge-Request-Id like any other (spec 5.2: result type Error, detailed InvalidRequest*).
 */
export function clientErrorHeaders(
  ctx: HandlerContext,
  status: number,
  parserCode: string,
  socket: Duplex,
): Record<string, string> {
  const { deps } = ctx;
  const requestId = newRequestId();
  const now = deps.clock.now();
  const iso = new Date(now).toISOString();
  const s = socket as Partial<Socket>;
  const detail =
    status === 413
      ? 'InvalidRequestHeader'
      : status === 414
        ? 'InvalidRequestURI'
        : status === 403
          ? 'InvalidRequestMethod'
          : 'InvalidRequest';
  deps.stats.requests.inc({ distribution: '-', result: 'Error', status: `${Math.floor(status / 100)}xx` });
  ctx.accessLog({
    date: iso.slice(0, 10),
    time: iso.slice(11, 19),
    'x-edge-location': deps.popId,
    'c-ip': normalizeIp(s.remoteAddress ?? ''),
    'c-port': s.remotePort ?? 0,
    'sc-status': status,
    'cs-protocol': ctx.protocol,
    'x-edge-result-type': 'Error',
    'x-edge-response-result-type': 'Error',
    'x-edge-detailed-result-type': detail,
    'x-edge-request-id': requestId,
    'distribution-id': '-',
    'pop-region': deps.region,
    'x-edge-error': `${status === 403 ? 'REQUEST_METHOD_NOT_ALLOWED' : 'REQUEST_MALFORMED'}: ${parserCode}`,
  });
  return {
    Date: new Date(now).toUTCString(),
    Via: deps.viaToken,
    'X-Verge-Pop': deps.popId,
    'X-Verge-Request-Id': requestId,
  };
}

function toH2Headers(flat: string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const k = flat[i]!.toLowerCase();
    const prev = out[k];
    out[k] = prev === undefined ? flat[i + 1]! : Array.isArray(prev) ? [...prev, flat[i + 1]!] : [prev, flat[i + 1]!];
  }
  return out;
}

function finish(ctx: HandlerContext, txn: ViewerTxn, bytes: number): void {
  const { deps } = ctx;
  const r = txn.response!;
  const ms = deps.clock.monotonic() - txn.startMono;
  const distId = txn.dist?.id ?? '-';
  const [reqLabels, byteLabels] = requestLabels(distId, txn.resultType, Math.floor(r.status / 100));
  deps.stats.requests.incRendered(reqLabels);
  deps.stats.bytesSent.incRendered(byteLabels, bytes);
  deps.stats.requestDuration.observe(ms);
  if (!ctx.accessLogEnabled) return;
  const d = new Date(txn.startedAt);
  const iso = d.toISOString();
  ctx.accessLog({
    date: iso.slice(0, 10),
    time: iso.slice(11, 19),
    'x-edge-location': deps.popId,
    'sc-bytes': bytes,
    'c-ip': txn.conn.clientIp,
    'cs-method': txn.request.method,
    'cs(Host)': txn.dist?.domainName ?? txn.host,
    'cs-uri-stem': txn.request.uri,
    'sc-status': r.status,
    'cs(Referer)': txn.request.headers['referer']?.[0]?.value ?? '-',
    'cs(User-Agent)': txn.request.headers['user-agent']?.[0]?.value ?? '-',
    'cs-uri-query': txn.request.querystring || '-',
    'x-edge-result-type': txn.resultType,
    'x-edge-request-id': txn.requestId,
    'x-host-header': txn.host,
    'cs-protocol': txn.conn.protocol,
    'cs-bytes': txn.pendingBody?.received ?? 0,
    'time-taken': Math.round(ms) / 1000,
    'x-forwarded-for': txn.request.headers['x-forwarded-for']?.[0]?.value ?? '-',
    'ssl-protocol': txn.conn.tls?.version ?? '-',
    'ssl-cipher': txn.conn.tls?.cipher ?? '-',
    'x-edge-response-result-type': txn.resultType,
    'cs-protocol-version': `HTTP/${txn.conn.httpVersion}`,
    'c-port': txn.conn.clientPort,
    'x-edge-detailed-result-type': txn.detailedResultType,
    'sc-content-type': r.headers['content-type']?.[0]?.value ?? '-',
    'sc-content-len': bodyLength(r.body) ?? bytes,
    'sc-range-start': txn.range?.start ?? '-',
    'sc-range-end': txn.range?.end ?? '-',
    'distribution-id': distId,
    'pop-region': deps.region,
    ...(txn.originLatencyMs !== undefined
      ? { 'origin-latency-ms': Math.round(txn.originLatencyMs * 1000) / 1000 }
      : {}),
    ...(txn.error ? { 'x-edge-error': `${txn.error.code}: ${txn.error.message}` } : {}),
    ...(txn.functionsRan.length ? { functions: txn.functionsRan } : {}),
  });
}
