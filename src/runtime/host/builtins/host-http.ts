/**
 * @module runtime/host/builtins/host-http
 * Host side of outbound requests from functions (`http`, `https`, `fetch`; Python's urllib goes
 * through `performRequest` too): performed with undici over the function's egress pool (every
 * connection, redirects included, is checked by the egress policy: ../egress), http/https only,
 * each hop checked against the optional host filter, bounded by a wall-clock timeout (the
 * smaller of the function's and the host's) and a response size cap. Failures are returned as
 * `{ ok: false, code, message }` rather than thrown, because error codes (ECONNREFUSED,
 * ETIMEDOUT...) do not survive the bridge. A denied connection is also logged to the invocation.
 */
import { request } from 'undici';
import { EGRESS_DENIED, closeEgressAgents, egressAgent } from '../egress/connect.js';
import { egressPolicy, type EgressPolicy } from '../egress/policy.js';
import { fresh } from './bytes.js';

/** What a host function can reach of the invocation that called it (its `this`). */
export interface HostCallContext {
  log(level: 'warn' | 'error', message: string): void;
}

type HostFn = (this: HostCallContext | undefined, ...args: any[]) => unknown;

export interface HttpOptions {
  fetchTimeoutMs: number;
  maxFetchBytes: number;
  allowedFetchHosts?: (host: string) => boolean;
  /** The function's egress policy (default: public addresses only). */
  egress?: EgressPolicy;
}

interface GuestRequest {
  url: string;
  method: string;
  headers: [string, string][];
  body: Uint8Array | null;
  timeoutMs: number | null;
  redirect: 'manual' | 'follow' | 'error';
}

type Failure = { ok: false; code: string; message: string };
const fail = (code: string, message: string): Failure => ({ ok: false, code, message });

const MAX_REDIRECTS = 20;
// Headers a function may not set: they belong to the connection, which the host owns.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
  'host',
  'content-length',
]);

/** Closes the connection pools (tests and shutdown). */
export async function closeHttpAgent(): Promise<void> {
  await closeEgressAgents();
}

function validate(raw: unknown): GuestRequest {
  const r = (raw ?? {}) as Partial<GuestRequest>;
  const headers = Array.isArray(r.headers)
    ? r.headers
        .filter((h) => Array.isArray(h) && h.length === 2)
        .map(([k, v]) => [String(k), String(v)] as [string, string])
    : [];
  return {
    url: String(r.url),
    method: String(r.method ?? 'GET').toUpperCase(),
    headers,
    body: r.body instanceof Uint8Array ? r.body : null,
    timeoutMs: typeof r.timeoutMs === 'number' && r.timeoutMs > 0 ? r.timeoutMs : null,
    redirect: r.redirect === 'follow' || r.redirect === 'error' ? r.redirect : 'manual',
  };
}

function errorCode(e: unknown): string {
  const err = e as { code?: string; name?: string; cause?: { code?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'ETIMEDOUT';
  if (
    err?.code === 'UND_ERR_CONNECT_TIMEOUT' ||
    err?.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    err?.code === 'UND_ERR_BODY_TIMEOUT'
  )
    return 'ETIMEDOUT';
  return err?.cause?.code ?? err?.code ?? 'ECONNRESET';
}

export type HttpAnswer =
  | Failure
  | {
      ok: true;
      status: number;
      statusText: string;
      headers: [string, string][];
      body: Uint8Array;
      url: string;
      redirected: boolean;
    };

/**
 * Perform one request for a function (JavaScript's `http.request` host function, Python's
 * urlopen). Never throws. A connection the egress policy refuses is a network error
 * (ERR_EGRESS_DENIED) and is logged to `ctx` with the reason.
 */
export async function performRequest(raw: unknown, opts: HttpOptions, ctx?: HostCallContext): Promise<HttpAnswer> {
  const policy = opts.egress ?? egressPolicy(undefined);
  async function one(req: GuestRequest, url: URL, signal: AbortSignal) {
    const headers = req.headers.filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())).flat();
    const res = await request(url, {
      method: req.method as 'GET',
      headers,
      body: req.body ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) : null,
      signal,
      dispatcher: egressAgent(policy),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res.body as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > opts.maxFetchBytes) {
        res.body.destroy();
        return fail(
          'ERR_FETCH_TOO_LARGE',
          `response body exceeds the ${opts.maxFetchBytes}-byte limit for function requests`,
        );
      }
      chunks.push(c);
    }
    const pairs: [string, string][] = [];
    for (const [k, v] of Object.entries(res.headers))
      for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined) pairs.push([k, x]);
    return {
      ok: true as const,
      status: res.statusCode,
      statusText: '',
      headers: pairs,
      body: fresh(Buffer.concat(chunks)),
    };
  }

  {
    const req = validate(raw);
    const timeout = Math.min(req.timeoutMs ?? Infinity, opts.fetchTimeoutMs);
    const signal = AbortSignal.timeout(timeout);
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return fail('ERR_INVALID_URL', `Invalid URL: ${req.url}`);
    }
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return fail('ERR_INVALID_PROTOCOL', `Protocol "${url.protocol}" not supported`);
      if (opts.allowedFetchHosts && !opts.allowedFetchHosts(url.hostname))
        return fail('ERR_HOST_NOT_ALLOWED', `Requests to ${url.hostname} are not allowed for this function`);
      let res;
      try {
        res = await one(req, url, signal);
      } catch (e) {
        const code = errorCode(e);
        if (code === EGRESS_DENIED) {
          const message = `${req.method} ${url.href}: ${(e as { cause?: Error }).cause?.message ?? (e as Error).message}`;
          ctx?.log('warn', `Egress denied: ${message}`);
          return fail(code, message);
        }
        return fail(
          code,
          code === 'ETIMEDOUT'
            ? `request to ${url.origin} timed out after ${timeout} ms`
            : `request to ${url.origin} failed: ${(e as Error).message}`,
        );
      }
      if (!res.ok) return res;
      const location = res.headers.find(([k]) => k === 'location')?.[1];
      if (req.redirect === 'manual' || ![301, 302, 303, 307, 308].includes(res.status) || location === undefined) {
        return { ...res, url: url.href, redirected: hop > 0 };
      }
      if (req.redirect === 'error') return fail('ERR_REDIRECT', `redirect to ${location} while redirect is "error"`);
      if (hop >= MAX_REDIRECTS) return fail('ERR_TOO_MANY_REDIRECTS', 'redirect count exceeded');
      // Fetch Standard 4.4: 303 (and 301/302 for POST) become GET without a body.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && req.method === 'POST')) {
        req.method = req.method === 'HEAD' ? 'HEAD' : 'GET';
        req.body = null;
        req.headers = req.headers.filter(([k]) => !/^content-/i.test(k));
      }
      const next = new URL(location, url);
      if (next.origin !== url.origin) req.headers = req.headers.filter(([k]) => !/^(authorization|cookie)$/i.test(k));
      url = next;
    }
  }
}

export function httpHostFunctions(opts: HttpOptions): Record<string, HostFn> {
  return {
    'http.request': function (this: HostCallContext | undefined, raw: unknown) {
      return performRequest(raw, opts, this);
    },
  };
}
