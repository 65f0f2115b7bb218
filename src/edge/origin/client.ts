/**
 * @module edge/origin/client
 * The HTTP(S) client the edge uses to reach custom origins, and the dispatcher that sends
 * bucket origins to the directory bucket. One undici Pool per origin endpoint, kept alive for
 * the origin's keep-alive timeout; connection attempts, connect timeout and read timeout per
 * CloudFront's origin settings (spec 4.3, 7.12). A response is either collected whole (up to
 * `maxBodyBytes`: the answers the edge may store) or, with `streamResponse`, handed over at its
 * headers as a stream read with backpressure (issue 12). Request bodies may stream too.
 * Failures become VergeError ORIGIN_* codes (see error-map.ts).
 */
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { LookupFunction, Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Readable } from 'node:stream';
import { Pool, buildConnector } from 'undici';
import type { Dispatcher } from 'undici';
import { systemClock } from '../../shared/clock.js';
import type { Clock } from '../../shared/clock.js';
import { VergeError } from '../../shared/errors.js';
import { HOP_BY_HOP, STATUS_TEXT, fromRawHeaders, stripHopByHop, titleCase } from '../../shared/lambda-edge/index.js';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { OriginPlan } from '../config/plan.js';
import { createBucketOrigin } from './bucket.js';
import { signOriginRequest } from './sigv4.js';
import { BODY_TOO_LARGE, classify, toOriginError } from './error-map.js';
import type { AttemptPhase } from './error-map.js';
import type { OriginClient, OriginRequest, OriginResponse, StreamedRequestBody } from './types.js';
import { streamBody } from '../body/index.js';

export interface OriginClientOptions {
  clock?: Clock;
  /** Response headers above this many bytes fail with ORIGIN_HEADERS_TOO_LARGE (spec 4.3: 20,480). */
  maxResponseHeaderBytes?: number;
  /** Bodies collected whole above this many bytes fail with ORIGIN_BODY_TOO_LARGE (streamed ones have no cap). Default 1 GiB. */
  maxBodyBytes?: number;
  /**
   * Extra trusted CA certificates (PEM) for HTTPS origins, on top of Node's root store and the
   * file named by `VERGE_ORIGIN_CA_FILE`.
   */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** A resolver in place of the system's (service discovery; tests). */
  lookup?: LookupFunction;
}

export const DEFAULT_MAX_RESPONSE_HEADER_BYTES = 20_480;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024 * 1024;

/** Request headers undici refuses or that describe one connection only; never sent as given. */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'expect', 'content-length']);

const kConnectMs = Symbol('verge.origin.connectMs');
type TimedSocket = Socket & { [kConnectMs]?: number };
interface TimingSink {
  connectMs?: number;
}

/**
 * undici calls a handler's onConnect and then, synchronously in the same function, publishes
 * `undici:client:sendHeaders` with the socket. That lets a request learn whether it paid for a
 * new connection (the first request written on a socket our connector opened) without reaching
 * into undici's internals.
 */
let writing: TimingSink | null = null;
let subscribed = false;
function watchSendHeaders(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('undici:client:sendHeaders', (msg) => {
    const sink = writing;
    writing = null;
    const socket = (msg as { socket?: TimedSocket }).socket;
    if (!sink || !socket || socket[kConnectMs] === undefined) return;
    sink.connectMs = socket[kConnectMs];
    delete socket[kConnectMs];
  });
}

function loadCa(opts: OriginClientOptions): Array<string | Buffer> | undefined {
  const extra: Array<string | Buffer> = [];
  const file = process.env['VERGE_ORIGIN_CA_FILE'];
  if (file) {
    try {
      extra.push(readFileSync(file));
    } catch (e) {
      throw new VergeError('CONFIG_UNREADABLE', `VERGE_ORIGIN_CA_FILE ${file}: ${(e as Error).message}`, { cause: e });
    }
  }
  if (opts.ca !== undefined) extra.push(...(Array.isArray(opts.ca) ? opts.ca : [opts.ca as string | Buffer]));
  // Node replaces its root store when `ca` is given, so keep the public roots alongside.
  return extra.length === 0 ? undefined : [...rootCertificates, ...extra];
}

function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Flatten a header map for undici: `key` spelling kept, one line per entry, framing left to undici. */
function toUndiciHeaders(h: CfHeaders): string[] {
  const out: string[] = [];
  for (const lower of Object.keys(h)) {
    if (NOT_FORWARDED.has(lower)) continue;
    const list = lower === 'host' ? h[lower]!.slice(0, 1) : h[lower]!;
    for (const e of list) out.push(e.key ?? titleCase(lower), e.value);
  }
  return out;
}

interface AttemptResult {
  status: number;
  statusText: string;
  headers: CfHeaders;
  body: Buffer | Readable;
  headersAt: number;
  connectMs?: number;
}

class AttemptError extends Error {
  constructor(
    readonly err: unknown,
    readonly phase: AttemptPhase,
  ) {
    super('origin attempt failed');
  }
}

/** 1xx: undici keeps reading for the final response; the edge passes 102/103 on (RFC 9110 15.2). */
function forwardInterim(onInterim: OriginRequest['onInterim'], status: number, raw: Buffer[]): void {
  if (!onInterim || status === 101) return;
  const pairs = raw.map((b) => b.toString('latin1'));
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < pairs.length; i += 2)
    if (!HOP_BY_HOP.has(pairs[i]!.toLowerCase())) out.push([pairs[i]!, pairs[i + 1]!]);
  onInterim(status, out);
}

/** A final response's status line and headers as both dispatchers report them (hop-by-hop removed). */
function responseHead(
  status: number,
  raw: Buffer[],
  statusMessage: string,
  headersAt: number,
  sink: TimingSink,
): Omit<AttemptResult, 'body'> {
  const headers = fromRawHeaders(raw.map((b) => b.toString('latin1')));
  stripHopByHop(headers);
  const statusText = statusMessage || STATUS_TEXT[status] || '';
  return { status, statusText, headers, headersAt, connectMs: sink.connectMs };
}

/** One request on one pool, body buffered. Rejects with AttemptError. */
function dispatchOnce(
  pool: Pool,
  opts: Dispatcher.DispatchOptions,
  maxBody: number,
  clock: Clock,
  onInterim?: OriginRequest['onInterim'],
): Promise<AttemptResult> {
  return new Promise((resolve, reject) => {
    let phase: AttemptPhase = 'connect';
    let abort: ((err?: Error) => void) | undefined;
    const sink: TimingSink = {};
    const chunks: Buffer[] = [];
    let size = 0;
    let head: Omit<AttemptResult, 'body'> | undefined;
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortFn) {
        phase = 'sent';
        abort = abortFn;
        writing = sink;
      },
      onHeaders(status, raw, _resume, statusMessage) {
        if (status < 200) {
          forwardInterim(onInterim, status, raw as Buffer[]);
          return true;
        }
        phase = 'headers';
        head = responseHead(status, raw as Buffer[], statusMessage, clock.monotonic(), sink);
        return true;
      },
      onData(chunk) {
        size += chunk.length;
        if (size > maxBody) {
          const e = Object.assign(new Error(`origin body exceeds ${maxBody} bytes`), { code: BODY_TOO_LARGE });
          abort?.(e);
          return false;
        }
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        if (!head) return reject(new AttemptError(new Error('response ended without headers'), phase));
        const res = { ...head, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) };
        // After this callback undici waits one event-loop turn (its own setImmediate) before it
        // marks the socket free. Resolving after that turn lets a follow-up request reuse the
        // socket; resolving sooner makes the Pool open a second connection.
        queueMicrotask(() => setImmediate(resolve, res));
      },
      onError(err) {
        // A 304 or 204 has no body whatever its Content-Length says (RFC 9110 8.6, 15.4.5), but
        // undici 7 reports the unread length as a mismatch; the response itself is complete.
        const code = (err as { code?: string }).code;
        if (
          head &&
          (head.status === 304 || head.status === 204) &&
          size === 0 &&
          code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'
        ) {
          return resolve({ ...head, body: Buffer.alloc(0) });
        }
        reject(new AttemptError(err, phase));
      },
    };
    try {
      pool.dispatch(opts, handler);
    } catch (err) {
      reject(new AttemptError(err, phase));
    }
  });
}

/**
 * One request on one pool whose body is handed over as it arrives: resolves at the response
 * headers with a Readable that undici fills with backpressure (onData returns false while the
 * reader is behind; `resume` continues). A failure after the headers errors the stream (the
 * origin died mid-body); destroying the stream early aborts the request, freeing the connection.
 */
function dispatchStreaming(
  pool: Pool,
  opts: Dispatcher.DispatchOptions,
  clock: Clock,
  onInterim?: OriginRequest['onInterim'],
): Promise<AttemptResult> {
  return new Promise((resolve, reject) => {
    let phase: AttemptPhase = 'connect';
    let abort: ((err?: Error) => void) | undefined;
    let resumeUndici: (() => void) | undefined;
    const sink: TimingSink = {};
    let body: Readable | null = null;
    let done = false;
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortFn) {
        phase = 'sent';
        abort = abortFn;
        writing = sink;
      },
      onHeaders(status, raw, resume, statusMessage) {
        if (status < 200) {
          forwardInterim(onInterim, status, raw as Buffer[]);
          return true;
        }
        phase = 'headers';
        resumeUndici = resume;
        body = new Readable({
          highWaterMark: 64 * 1024,
          read: () => resumeUndici?.(),
          destroy: (err, cb) => {
            // The reader left before the end: stop the transfer (the connection is not reused).
            if (!done) abort?.(err ?? new Error('the response body was not read to the end'));
            cb(err);
          },
        });
        resolve({ ...responseHead(status, raw as Buffer[], statusMessage, clock.monotonic(), sink), body });
        return true;
      },
      onData(chunk) {
        return body!.push(chunk);
      },
      onComplete() {
        done = true;
        body?.push(null);
      },
      onError(err) {
        done = true;
        const code = (err as { code?: string }).code;
        if (body === null) return reject(new AttemptError(err, phase));
        // A 304 or 204 has no body whatever its Content-Length says (see dispatchOnce).
        if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' && body.readableLength === 0 && !body.readableDidRead)
          return void body.push(null);
        body.destroy(toOriginError(classify(err, 'headers'), err, { origin: 'origin', attempts: 1 }));
      },
    };
    try {
      pool.dispatch(opts, handler);
    } catch (err) {
      reject(new AttemptError(err, phase));
    }
  });
}

/** The body length a response announces: none for HEAD, 204 and 304 (RFC 9110 8.6). */
function declaredLength(h: CfHeaders, method: string, status: number): number | null {
  if (method === 'HEAD' || status === 204 || status === 304) return 0;
  const v = h['content-length']?.[0]?.value;
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
}

/**
 * A streamed request body handed to undici one attempt at a time. Each attempt gets a fresh
 * Readable that starts pulling the viewer's stream only when undici first reads it (after the
 * connection is up), so a failed connect leaves the body untouched for the next attempt; once
 * bytes were taken the request cannot be repeated. An error of the viewer's stream is kept so
 * the caller reports it (413, 408) rather than an origin failure.
 */
class RequestBodyFeed {
  readonly length: number | null;
  readonly #source: Readable;
  started = false;
  error: Error | null = null;

  constructor(body: StreamedRequestBody) {
    this.length = body.length;
    this.#source = body.stream;
    this.#source.once('error', (e) => (this.error = e));
  }

  attempt(): Readable {
    const src = this.#source;
    let mine = false;
    const onData = (c: Buffer) => {
      if (!out.push(c)) src.pause();
    };
    const onEnd = () => out.push(null);
    const onError = (e: Error) => out.destroy(e);
    const out = new Readable({
      highWaterMark: 64 * 1024,
      read: () => {
        if (!mine) {
          if (this.started) return void out.destroy(new Error('the request body was already sent'));
          mine = this.started = true;
          src.on('data', onData);
          src.once('end', onEnd);
          src.once('error', onError);
        }
        src.resume();
      },
      destroy: (err, cb) => {
        src.off('data', onData);
        src.off('end', onEnd);
        src.off('error', onError);
        // An attempt that took bytes and failed ends the viewer's body too: nobody else reads it.
        if (mine && err && !src.destroyed) src.destroy();
        cb(err);
      },
    });
    return out;
  }
}

/**
 * Create the client every origin fetch goes through. `fetch` dispatches on `origin.kind`:
 * bucket origins read the directory (bucket.ts), custom origins go over HTTP(S).
 *
 * @example
 * const client = createOriginClient({ clock: systemClock });
 * const res = await client.fetch(originPlan, { method: 'GET', uri: '/a.css', querystring: '', headers });
 */
export function createOriginClient(opts: OriginClientOptions = {}): OriginClient {
  const clock = opts.clock ?? systemClock;
  const maxHeader = opts.maxResponseHeaderBytes ?? DEFAULT_MAX_RESPONSE_HEADER_BYTES;
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const ca = loadCa(opts);
  const bucket = createBucketOrigin({ clock, maxBodyBytes: maxBody });
  const pools = new Map<string, Pool>();
  let closed = false;
  watchSendHeaders();

  function poolFor(
    o: Pick<OriginPlan, 'protocol' | 'domainName' | 'port' | 'connectionTimeoutMs' | 'keepaliveTimeoutMs'>,
  ): Pool {
    const origin = `${o.protocol}://${hostForUrl(o.domainName)}:${o.port}`;
    // Connect timeout and keep-alive are per connection, so origins that differ in them do not share sockets.
    const key = `${origin}|${o.connectionTimeoutMs}|${o.keepaliveTimeoutMs}`;
    let pool = pools.get(key);
    if (pool) return pool;
    const base = buildConnector({ timeout: o.connectionTimeoutMs, ca, lookup: opts.lookup, rejectUnauthorized: true });
    const connect: buildConnector.connector = (co, cb) => {
      const t0 = clock.monotonic();
      // SNI carries host names only (RFC 6066 section 3); for IP origins Node checks the IP SANs.
      const servername = co.servername && isIP(co.servername) === 0 ? co.servername : undefined;
      base({ ...co, servername }, (err, socket) => {
        if (socket) (socket as TimedSocket)[kConnectMs] = clock.monotonic() - t0;
        (cb as (e: Error | null, s: Socket | null) => void)(err, socket);
      });
    };
    pool = new Pool(origin, {
      connect,
      keepAliveTimeout: o.keepaliveTimeoutMs,
      keepAliveMaxTimeout: o.keepaliveTimeoutMs,
      keepAliveTimeoutThreshold: Math.min(1000, Math.floor(o.keepaliveTimeoutMs / 2)),
      maxHeaderSize: maxHeader,
    });
    pools.set(key, pool);
    return pool;
  }

  async function fetchHttp(origin: OriginPlan, req: OriginRequest): Promise<OriginResponse> {
    const pool = poolFor(origin);
    const label = `${origin.id} (${origin.protocol}://${hostForUrl(origin.domainName)}:${origin.port})`;
    const idempotent = req.method === 'GET' || req.method === 'HEAD';
    const attempts = Math.max(1, Math.floor(origin.connectionAttempts) || 1);
    const path = origin.originPath + req.uri + (req.querystring ? `?${req.querystring}` : '');
    // Last, after every header change: the signature covers what is sent.
    if (origin.accessControl)
      signOriginRequest({ ...origin, accessControl: origin.accessControl }, req, origin.originPath + req.uri, clock);
    // `servername` is honoured by undici's Request but missing from its DispatchOptions type.
    const streamed = req.body !== undefined && !Buffer.isBuffer(req.body) ? new RequestBodyFeed(req.body) : null;
    const headers = toUndiciHeaders(req.headers);
    // undici frames a stream as chunked unless told its length; an origin may need it (S3 PUT).
    if (streamed?.length != null) headers.push('content-length', String(streamed.length));
    const dispatchOpts: Dispatcher.DispatchOptions & { servername: string } = {
      path,
      method: req.method as Dispatcher.HttpMethod,
      headers,
      body: (req.body as Buffer | undefined) ?? null,
      // The host name is the certificate identity, whatever Host header is forwarded.
      servername: origin.domainName,
      headersTimeout: origin.readTimeoutMs,
      bodyTimeout: origin.readTimeoutMs,
    };
    const start = clock.monotonic();
    for (let attempt = 1; ; attempt++) {
      try {
        if (streamed) dispatchOpts.body = streamed.attempt();
        const r = req.streamResponse
          ? await dispatchStreaming(pool, dispatchOpts, clock, req.onInterim)
          : await dispatchOnce(pool, dispatchOpts, maxBody, clock, req.onInterim);
        const end = clock.monotonic();
        const timings: OriginResponse['timings'] = { firstByteMs: r.headersAt - start, totalMs: end - start };
        if (r.connectMs !== undefined) timings.connectMs = r.connectMs;
        const body = Buffer.isBuffer(r.body)
          ? r.body
          : streamBody(r.body, declaredLength(r.headers, req.method, r.status));
        return { status: r.status, statusText: r.statusText, headers: r.headers, body, timings };
      } catch (e) {
        const { err, phase } = e instanceof AttemptError ? e : new AttemptError(e, 'connect');
        // The viewer's body failed (too large, stalled, hung up): that is the answer, not the origin.
        if (streamed?.error) throw streamed.error;
        const c = classify(err, phase);
        // A streamed body can be sent again only if no byte of it was taken yet.
        const replayable = streamed === null || !streamed.started;
        const again = replayable && (c.retry === 'always' || (c.retry === 'idempotent' && idempotent));
        if (!again || attempt >= attempts) throw toOriginError(c, err, { origin: label, attempts: attempt });
      }
    }
  }

  return {
    fetch(origin, req) {
      if (closed) return Promise.reject(new VergeError('INTERNAL', 'origin client is closed'));
      return origin.kind === 'bucket' ? bucket.fetch(origin, req) : fetchHttp(origin, req);
    },
    async close() {
      closed = true;
      const all = [...pools.values()];
      pools.clear();
      await Promise.all([...all.map((p) => p.close()), bucket.close()]);
    },
  };
}
