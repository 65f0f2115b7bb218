/**
 * @module runtime/guest/builtins/lib/http-client
 * Node's `http`/`https` client surface (request, get, ClientRequest, IncomingMessage), performed
 * by the host in one `bridge.callAsync('http.request', ...)` round trip: the request body is
 * collected until `end()`, and the response arrives whole (the host enforces the timeout, the
 * size cap and the allow-list) and is then replayed as a stream. No server side: functions
 * cannot listen.
 */
import type { Bridge, Require } from './types.js';
import { defer } from './types.js';

export interface HostResponse {
  ok: boolean;
  code?: string;
  message?: string;
  status?: number;
  statusText?: string;
  headers?: [string, string][];
  url?: string;
  redirected?: boolean;
  body?: Uint8Array;
}

export const STATUS_CODES: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a Teapot",
  422: 'Unprocessable Entity',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

export const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

/** Node's rule for folding repeated response headers into `message.headers`. */
function foldHeaders(raw: [string, string][]): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  const single = new Set([
    'content-type',
    'content-length',
    'user-agent',
    'referer',
    'host',
    'authorization',
    'proxy-authorization',
    'if-modified-since',
    'if-unmodified-since',
    'from',
    'location',
    'max-forwards',
    'retry-after',
    'etag',
    'last-modified',
    'server',
    'age',
    'expires',
  ]);
  for (const [k, v] of raw) {
    const n = k.toLowerCase();
    const cur = h[n];
    if (n === 'set-cookie') h[n] = cur ? [...(cur as string[]), v] : [v];
    else if (cur === undefined) h[n] = v;
    else if (!single.has(n)) h[n] = `${cur as string}${n === 'cookie' ? '; ' : ', '}${v}`;
  }
  return h;
}

export function createHttpModule(bridge: Bridge, require: Require, defaultProtocol: 'http:' | 'https:') {
  const { Readable, Writable } = require('stream');
  const { Buffer } = require('buffer');

  class IncomingMessage extends Readable {
    statusCode: number;
    statusMessage: string;
    headers: Record<string, string | string[]>;
    rawHeaders: string[];
    httpVersion = '1.1';
    httpVersionMajor = 1;
    httpVersionMinor = 1;
    trailers = {};
    complete = false;
    url = '';
    constructor(r: HostResponse) {
      super();
      this.statusCode = r.status!;
      this.statusMessage = r.statusText || STATUS_CODES[r.status!] || '';
      this.headers = foldHeaders(r.headers ?? []);
      this.rawHeaders = (r.headers ?? []).flat();
      const body = r.body ?? new Uint8Array(0);
      if (body.length > 0) this.push(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      this.push(null);
      this.once('end', () => (this.complete = true));
    }
    setTimeout(_ms: number, cb?: () => void): this {
      if (cb) this.once('timeout', cb);
      return this;
    }
  }

  class ClientRequest extends Writable {
    method: string;
    path: string;
    host: string;
    protocol: string;
    aborted = false;
    #url: string;
    #headers = new Map<string, [string, string | string[]]>();
    #chunks: Uint8Array[] = [];
    #timeoutMs: number | null = null;
    #sent = false;
    constructor(url: string, opts: Record<string, any>, cb?: (res: IncomingMessage) => void) {
      super();
      this.#url = url;
      const u = new (require('url').URL)(url);
      this.method = String(opts.method ?? 'GET').toUpperCase();
      this.path = u.pathname + u.search;
      this.host = u.hostname;
      this.protocol = u.protocol;
      for (const [k, v] of Object.entries((opts.headers ?? {}) as Record<string, string | string[]>))
        this.setHeader(k, v);
      if (opts.auth && !this.getHeader('authorization'))
        this.setHeader('Authorization', `Basic ${Buffer.from(String(opts.auth)).toString('base64')}`);
      if (typeof opts.timeout === 'number') this.#timeoutMs = opts.timeout;
      if (cb) this.once('response', cb);
      if (opts.signal) {
        const signal = opts.signal;
        if (signal.aborted) defer(() => this.destroy(abortError()));
        else signal.addEventListener?.('abort', () => this.destroy(abortError()));
      }
    }
    _write(c: Uint8Array, _e: string, done: () => void): void {
      this.#chunks.push(c);
      done();
    }
    _final(done: () => void): void {
      this.#send();
      done();
    }
    setHeader(name: string, value: string | number | string[]): this {
      this.#headers.set(name.toLowerCase(), [name, Array.isArray(value) ? value.map(String) : String(value)]);
      return this;
    }
    getHeader(name: string): string | string[] | undefined {
      return this.#headers.get(name.toLowerCase())?.[1];
    }
    getHeaders(): Record<string, string | string[]> {
      return Object.fromEntries([...this.#headers].map(([k, [, v]]) => [k, v]));
    }
    getHeaderNames(): string[] {
      return [...this.#headers.keys()];
    }
    hasHeader(name: string): boolean {
      return this.#headers.has(name.toLowerCase());
    }
    removeHeader(name: string): void {
      this.#headers.delete(name.toLowerCase());
    }
    flushHeaders(): void {}
    setNoDelay(): void {}
    setSocketKeepAlive(): void {}
    setTimeout(ms: number, cb?: () => void): this {
      this.#timeoutMs = ms;
      if (cb) this.once('timeout', cb);
      return this;
    }
    abort(): void {
      this.aborted = true;
      this.destroy();
    }
    #send(): void {
      if (this.#sent) return;
      this.#sent = true;
      const headers: [string, string][] = [];
      for (const [, [name, v]] of this.#headers) for (const x of Array.isArray(v) ? v : [v]) headers.push([name, x]);
      const body = this.#chunks.length ? new Uint8Array(Buffer.concat(this.#chunks)) : null;
      const req = {
        url: this.#url,
        method: this.method,
        headers,
        body,
        timeoutMs: this.#timeoutMs || null,
        redirect: 'manual',
      };
      bridge.callAsync('http.request', req).then(
        (r: HostResponse) => this.#settle(r),
        (e: unknown) => this.#fail(e instanceof Error ? e : new Error(String(e)), 'ECONNRESET'),
      );
    }
    #settle(r: HostResponse): void {
      if (this.destroyed) return;
      if (!r.ok) {
        if (r.code === 'ETIMEDOUT' && this.listenerCount('timeout') > 0) this.emit('timeout');
        return this.#fail(new Error(r.message ?? 'request failed'), r.code ?? 'ECONNRESET');
      }
      const res = new IncomingMessage(r);
      if (!this.emit('response', res)) res.resume();
      this.emit('close');
    }
    #fail(err: Error, code: string): void {
      if (this.destroyed) return;
      (err as Error & { code?: string }).code ??= code;
      this.destroyed = true;
      this.emit('error', err);
      this.emit('close');
    }
  }

  function abortError(): Error {
    const e = Object.assign(new Error('The operation was aborted'), { code: 'ABORT_ERR' });
    e.name = 'AbortError';
    return e;
  }

  /** Builds the target URL from Node's `(url, options, cb)` / `(options, cb)` call forms. */
  function target(a: unknown, b: unknown): { url: string; opts: Record<string, any> } {
    let opts: Record<string, any> = {};
    let base: Record<string, any> = {};
    if (typeof a === 'string' || (a && typeof a === 'object' && 'href' in a && 'searchParams' in a)) {
      const u = new (require('url').URL)(String(a));
      base = {
        protocol: u.protocol,
        hostname: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        auth: u.username ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined,
      };
      if (b && typeof b === 'object') opts = b as Record<string, any>;
    } else if (a && typeof a === 'object') opts = a as Record<string, any>;
    const o = { ...base, ...opts };
    const protocol = o.protocol ?? defaultProtocol;
    if (protocol !== defaultProtocol) {
      throw Object.assign(new TypeError(`Protocol "${protocol}" not supported. Expected "${defaultProtocol}"`), {
        code: 'ERR_INVALID_PROTOCOL',
      });
    }
    let host = o.hostname ?? (typeof o.host === 'string' ? o.host.replace(/:\d+$/, '') : 'localhost');
    if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
    const port = o.port ? `:${o.port}` : '';
    const path = o.path ?? '/';
    if (/[\u0000-\u0020]/.test(path))
      throw Object.assign(new TypeError('Request path contains unescaped characters'), {
        code: 'ERR_UNESCAPED_CHARACTERS',
      });
    return { url: `${protocol}//${host}${port}${path}`, opts: o };
  }

  function request(a: unknown, b?: unknown, c?: unknown): ClientRequest {
    const cb = (typeof b === 'function' ? b : c) as ((res: IncomingMessage) => void) | undefined;
    const { url, opts } = target(a, typeof b === 'function' ? undefined : b);
    return new ClientRequest(url, opts, cb);
  }

  function get(a: unknown, b?: unknown, c?: unknown): ClientRequest {
    const req = request(a, b, c);
    req.end();
    return req;
  }

  class Agent {
    constructor(public options: Record<string, unknown> = {}) {}
    destroy(): void {}
  }

  const unsupported = (what: string) => () => {
    throw Object.assign(
      new Error(`${what} is not available inside a Verge function: functions cannot listen for connections`),
      { code: 'ERR_NOT_SUPPORTED' },
    );
  };

  return {
    request,
    get,
    ClientRequest,
    IncomingMessage,
    Agent,
    globalAgent: new Agent(),
    STATUS_CODES,
    METHODS,
    maxHeaderSize: 16384,
    createServer: unsupported('http.createServer'),
    Server: unsupported('http.Server'),
  };
}
