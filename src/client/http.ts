/**
 * @module client/http
 * The transport under every client call: base URL + `/api/v1`, bearer token, JSON bodies,
 * `ETag` / `If-Match` (docs/api.md, optimistic concurrency; RFC 9110 section 13.1.1), and
 * errors as `ClientError`. It only needs a `fetch`: Node passes undici's, a browser its own,
 * so the client runs in both.
 */
import { BAD_RESPONSE, errorFromFetchFailure, errorFromResponse, ClientError } from './errors.js';

/** The part of a fetch Response the client reads. */
export interface FetchResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  body: ReadableStream<Uint8Array> | null;
}

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>;

export interface TransportOptions {
  /** The control plane's base URL (`http://127.0.0.1:8080`); `/api/v1` is added. */
  url: string;
  token?: string;
  /** Defaults to `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Per-request timeout for ordinary calls (streams have none); default 30 s. */
  timeoutMs?: number;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /** Sends `If-Match`; a stale value gets 412 PRECONDITION_FAILED and nothing changes. */
  ifMatch?: string;
  signal?: AbortSignal;
  /** Leave the body unread and return the response (for event streams). */
  stream?: boolean;
}

export interface Answer<T> {
  status: number;
  value: T;
  etag: string | undefined;
}

export interface Transport {
  readonly baseUrl: string;
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<Answer<T>>;
  /** Opens a streaming GET (SSE) and returns the response once its headers are in. */
  open(path: string, opts?: RequestOptions): Promise<FetchResponseLike>;
}

export function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** A path segment from a user-supplied name or id (`/api/*` stays one segment). */
export function seg(s: string | number): string {
  return encodeURIComponent(String(s));
}

export function createTransport(opts: TransportOptions): Transport {
  const baseUrl = opts.url.replace(/\/+$/, '');
  const doFetch: FetchLike = opts.fetch ?? ((u, i) => globalThis.fetch(u, i) as Promise<FetchResponseLike>);
  const timeoutMs = opts.timeoutMs ?? 30_000;

  async function send(method: string, path: string, ro: RequestOptions): Promise<FetchResponseLike> {
    const headers: Record<string, string> = { accept: ro.stream ? 'text/event-stream' : 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (ro.ifMatch) headers['if-match'] = ro.ifMatch;
    const init: FetchInit = { method, headers };
    if (ro.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(ro.body);
    }
    const signals = [ro.signal, ro.stream ? undefined : AbortSignal.timeout(timeoutMs)].filter(
      (s): s is AbortSignal => !!s,
    );
    if (signals.length) init.signal = signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    try {
      return await doFetch(`${baseUrl}/api/v1${path}${queryString(ro.query)}`, init);
    } catch (e) {
      if (ro.signal?.aborted) throw e;
      throw errorFromFetchFailure(e, baseUrl);
    }
  }

  return {
    baseUrl,
    async request<T>(method: string, path: string, ro: RequestOptions = {}): Promise<Answer<T>> {
      const res = await send(method, path, ro);
      const text = await res.text();
      if (res.status < 200 || res.status > 299) throw errorFromResponse(res.status, text, baseUrl);
      let value: unknown = undefined;
      if (text && res.status !== 204) {
        try {
          value = JSON.parse(text);
        } catch (e) {
          throw new ClientError(res.status, BAD_RESPONSE, `${method} ${path}: the answer is not JSON`, {
            url: baseUrl,
            cause: e,
          });
        }
      }
      const etag = res.headers.get('etag') ?? (value as { etag?: string } | undefined)?.etag ?? undefined;
      return { status: res.status, value: value as T, etag: etag ?? undefined };
    },
    async open(path: string, ro: RequestOptions = {}): Promise<FetchResponseLike> {
      const res = await send('GET', path, { ...ro, stream: true });
      if (res.status < 200 || res.status > 299) throw errorFromResponse(res.status, await res.text(), baseUrl);
      return res;
    },
  };
}
