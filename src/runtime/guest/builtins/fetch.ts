/**
 * @module runtime/guest/builtins/fetch
 * The internal `__fetch` builtin: WHATWG fetch, Headers, Request, Response, AbortController and
 * AbortSignal. The host performs the request (`http.request`, with redirects followed per
 * `init.redirect`) and enforces the timeout, size cap and allow-list; the response body arrives
 * whole. An abort rejects the guest's promise at once; the host request then ends on its own
 * timeout at the latest.
 */
import type { Bridge } from './lib/types.js';
import { maybe } from './lib/types.js';
import { Utf8Decoder, utf8Encode } from './lib/utf8.js';
import { URLSearchParams } from './lib/search-params.js';
import type { HostResponse } from './lib/http-client.js';

type HeadersInit = Headers | [string, string][] | Record<string, string>;
type BodyInit = string | ArrayBuffer | ArrayBufferView | URLSearchParams | { toString(): string } | null;

const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

class Headers {
  #list: [string, string][] = [];
  constructor(init?: HeadersInit) {
    if (init instanceof Headers) for (const [k, v] of init.#list) this.append(k, v);
    else if (Array.isArray(init)) for (const [k, v] of init) this.append(k, v);
    else if (init && typeof init === 'object') {
      if (typeof (init as any)[Symbol.iterator] === 'function') for (const [k, v] of init as any) this.append(k, v);
      else for (const k of Object.keys(init)) this.append(k, (init as Record<string, string>)[k]!);
    }
  }
  static #check(name: string): string {
    const n = String(name);
    if (!NAME.test(n)) throw new TypeError(`Headers.append: "${n}" is an invalid header name.`);
    return n.toLowerCase();
  }
  append(name: string, value: string): void {
    this.#list.push([Headers.#check(name), String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '')]);
  }
  set(name: string, value: string): void {
    const n = Headers.#check(name);
    this.#list = this.#list.filter(([k]) => k !== n);
    this.#list.push([n, String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '')]);
  }
  delete(name: string): void {
    const n = Headers.#check(name);
    this.#list = this.#list.filter(([k]) => k !== n);
  }
  get(name: string): string | null {
    const n = Headers.#check(name);
    const vals = this.#list.filter(([k]) => k === n).map(([, v]) => v);
    return vals.length ? vals.join(', ') : null;
  }
  getSetCookie(): string[] {
    return this.#list.filter(([k]) => k === 'set-cookie').map(([, v]) => v);
  }
  has(name: string): boolean {
    const n = Headers.#check(name);
    return this.#list.some(([k]) => k === n);
  }
  /** Sorted, combined view (Fetch Standard "sort and combine"); set-cookie stays separate. */
  *entries(): IterableIterator<[string, string]> {
    const names = [...new Set(this.#list.map(([k]) => k))].sort();
    for (const n of names) {
      if (n === 'set-cookie') for (const v of this.getSetCookie()) yield [n, v];
      else yield [n, this.get(n)!];
    }
  }
  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }
  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }
  forEach(cb: (v: string, k: string, h: Headers) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this);
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  /** The raw list, for the host. */
  toPairs(): [string, string][] {
    return this.#list.map(([k, v]) => [k, v]);
  }
}

function bodyBytes(body: BodyInit | undefined, headers: Headers): Uint8Array | null {
  if (body === null || body === undefined) return null;
  if (typeof body === 'string') {
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
    return utf8Encode(body);
  }
  if (body instanceof URLSearchParams) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    return utf8Encode(body.toString());
  }
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice();
  return utf8Encode(String(body));
}

class Body {
  #bytes: Uint8Array | null;
  #used = false;
  constructor(bytes: Uint8Array | null) {
    this.#bytes = bytes;
  }
  get bodyUsed(): boolean {
    return this.#used;
  }
  get body(): null {
    return null; // streams are not provided; read with text() / json() / arrayBuffer()
  }
  #take(): Uint8Array {
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.#bytes ?? new Uint8Array(0);
  }
  protected peek(): Uint8Array | null {
    return this.#bytes;
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.#take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  async bytes(): Promise<Uint8Array> {
    return this.#take().slice();
  }
  async text(): Promise<string> {
    const s = new Utf8Decoder(false).decode(this.#take(), true);
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit;
  redirect?: 'follow' | 'manual' | 'error';
  signal?: AbortSignal | null;
}

class Request extends Body {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly redirect: 'follow' | 'manual' | 'error';
  readonly signal: AbortSignal | null;
  constructor(input: string | { href: string } | Request, init: RequestInit = {}) {
    const src = input instanceof Request ? input : null;
    const headers = new Headers(init.headers ?? src?.headers);
    const method = String(init.method ?? src?.method ?? 'GET').toUpperCase();
    const body = init.body !== undefined ? bodyBytes(init.body, headers) : (src?.peek() ?? null);
    if (body && (method === 'GET' || method === 'HEAD'))
      throw new TypeError('Request with GET/HEAD method cannot have body.');
    super(body);
    this.url = src ? src.url : String(input instanceof Object && 'href' in input ? input.href : input);
    this.method = method;
    this.headers = headers;
    this.redirect = init.redirect ?? src?.redirect ?? 'follow';
    this.signal = init.signal ?? src?.signal ?? null;
  }
  clone(): Request {
    return new Request(this);
  }
  get bodyBytes(): Uint8Array | null {
    return this.peek();
  }
}

class Response extends Body {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly type: string;
  url = '';
  redirected = false;
  constructor(body: BodyInit = null, init: { status?: number; statusText?: string; headers?: HeadersInit } = {}) {
    const headers = new Headers(init.headers);
    const status = init.status ?? 200;
    if (status < 200 || status > 599)
      throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
    super(bodyBytes(body, headers));
    this.status = status;
    this.statusText = init.statusText ?? '';
    this.headers = headers;
    this.type = 'default';
  }
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  clone(): Response {
    const r = new Response(this.peek(), { status: this.status, statusText: this.statusText, headers: this.headers });
    r.url = this.url;
    r.redirected = this.redirected;
    return r;
  }
  static json(data: unknown, init: { status?: number; headers?: HeadersInit } = {}): Response {
    const headers = new Headers(init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(JSON.stringify(data), { ...init, headers });
  }
  static redirect(url: string, status = 302): Response {
    return new Response(null, { status, headers: { location: String(url) } });
  }
  static error(): Response {
    const r = Object.create(Response.prototype);
    return Object.assign(r, { status: 0, statusText: '', headers: new Headers(), type: 'error' });
  }
}

class AbortSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((e: { type: string }) => void) | null = null;
  #listeners: ((e: { type: string }) => void)[] = [];
  addEventListener(type: string, fn: (e: { type: string }) => void): void {
    if (type === 'abort') this.#listeners.push(fn);
  }
  removeEventListener(type: string, fn: (e: { type: string }) => void): void {
    if (type === 'abort') this.#listeners = this.#listeners.filter((f) => f !== fn);
  }
  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }
  /** Internal: fire once. */
  _abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const ev = { type: 'abort' };
    this.onabort?.(ev);
    for (const fn of this.#listeners.splice(0)) fn(ev);
  }
  static abort(reason?: unknown): AbortSignal {
    const s = new AbortSignal();
    s._abort(reason ?? domError('AbortError', 'This operation was aborted'));
    return s;
  }
  static timeout(ms: number): AbortSignal {
    const s = new AbortSignal();
    if (!maybe.setTimeout) throw new Error('AbortSignal.timeout needs timers, which this runtime does not provide');
    maybe.setTimeout(() => s._abort(domError('TimeoutError', 'The operation was aborted due to timeout')), ms);
    return s;
  }
}

class AbortController {
  readonly signal = new AbortSignal();
  abort(reason?: unknown): void {
    this.signal._abort(reason ?? domError('AbortError', 'This operation was aborted'));
  }
}

function domError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

export default function factory(bridge: Bridge) {
  function fetch(input: string | { href: string } | Request, init?: RequestInit): Promise<Response> {
    let req: Request;
    try {
      req = new Request(input, init);
    } catch (e) {
      return Promise.reject(e);
    }
    if (req.signal?.aborted) return Promise.reject(req.signal.reason);
    const host = bridge.callAsync('http.request', {
      url: req.url,
      method: req.method,
      headers: req.headers.toPairs(),
      body: req.bodyBytes,
      timeoutMs: null,
      redirect: req.redirect,
    });
    const result = host.then((r: HostResponse) => {
      if (!r.ok)
        throw Object.assign(new TypeError('fetch failed'), {
          cause: Object.assign(new Error(r.message), { code: r.code }),
        });
      const res = new Response(r.status === 204 || r.status === 304 ? null : r.body!, {
        status: Math.max(200, r.status!),
        statusText: r.statusText,
        headers: r.headers,
      });
      // Responses may carry statuses the constructor refuses (1xx); set the real one afterwards.
      Object.defineProperty(res, 'status', { value: r.status });
      res.url = r.url ?? req.url;
      res.redirected = Boolean(r.redirected);
      return res;
    });
    const signal = req.signal;
    if (!signal) return result;
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason));
      result.then(resolve, reject);
    });
  }
  return { fetch, Headers, Request, Response, AbortController, AbortSignal };
}
