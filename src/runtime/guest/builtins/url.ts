/**
 * @module runtime/guest/builtins/url
 * Node's `url`: WHATWG URL and URLSearchParams, and the legacy parse/format/resolve.
 * Parsing is done by the host's own URL implementation through the bridge (one synchronous
 * call, about 15 µs): the WHATWG parser is intricate (hosts, IPv4/IPv6, IDNA, percent-encode
 * sets), and delegating gives byte-identical results to Node for a few kilobytes of guest code
 * instead of a bundled parser whose compile time every cold start would pay.
 * URLSearchParams runs in the guest (lib/search-params.ts).
 */
import type { Bridge } from './lib/types.js';
import { URLSearchParams, initSearchParams } from './lib/search-params.js';

interface Parts {
  href: string;
  origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  hash: string;
}

const LEGACY_FIELDS = [
  'protocol',
  'slashes',
  'auth',
  'host',
  'port',
  'hostname',
  'hash',
  'search',
  'query',
  'pathname',
  'path',
  'href',
] as const;

export default function factory(bridge: Bridge) {
  const invalid = (input: string): TypeError =>
    Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL', input });

  class URL {
    #p: Parts;
    #params: URLSearchParams | null = null;
    constructor(input: unknown, base?: unknown) {
      if (arguments.length === 0)
        throw Object.assign(new TypeError('The "url" argument must be specified'), { code: 'ERR_MISSING_ARGS' });
      const s = String(input);
      const p: Parts | null = bridge.call('url.parse', s, base === undefined ? null : String(base));
      if (!p) throw invalid(s);
      this.#p = p;
    }
    static canParse(input: unknown, base?: unknown): boolean {
      return bridge.call('url.parse', String(input), base === undefined ? null : String(base)) !== null;
    }
    static parse(input: unknown, base?: unknown): URL | null {
      try {
        return new URL(input, base);
      } catch {
        return null;
      }
    }
    #set(prop: string, value: unknown): void {
      this.#p = bridge.call('url.set', this.#p.href, prop, String(value));
      if (prop !== 'hash' && this.#params)
        this.#params[initSearchParams](this.#p.search.slice(1), (q) => this.#setQuery(q));
    }
    #setQuery(query: string): void {
      this.#p = bridge.call('url.set', this.#p.href, 'search', query);
    }
    get href(): string {
      return this.#p.href;
    }
    set href(v: string) {
      const p = bridge.call('url.parse', String(v), null);
      if (!p) throw invalid(String(v));
      this.#p = p;
      if (this.#params) this.#params[initSearchParams](p.search.slice(1), (q) => this.#setQuery(q));
    }
    get origin(): string {
      return this.#p.origin;
    }
    get protocol(): string {
      return this.#p.protocol;
    }
    set protocol(v: string) {
      this.#set('protocol', v);
    }
    get username(): string {
      return this.#p.username;
    }
    set username(v: string) {
      this.#set('username', v);
    }
    get password(): string {
      return this.#p.password;
    }
    set password(v: string) {
      this.#set('password', v);
    }
    get host(): string {
      return this.#p.host;
    }
    set host(v: string) {
      this.#set('host', v);
    }
    get hostname(): string {
      return this.#p.hostname;
    }
    set hostname(v: string) {
      this.#set('hostname', v);
    }
    get port(): string {
      return this.#p.port;
    }
    set port(v: string) {
      this.#set('port', v);
    }
    get pathname(): string {
      return this.#p.pathname;
    }
    set pathname(v: string) {
      this.#set('pathname', v);
    }
    get search(): string {
      return this.#p.search;
    }
    set search(v: string) {
      this.#set('search', v);
    }
    get hash(): string {
      return this.#p.hash;
    }
    set hash(v: string) {
      this.#set('hash', v);
    }
    get searchParams(): URLSearchParams {
      if (!this.#params) {
        this.#params = new URLSearchParams();
        this.#params[initSearchParams](this.#p.search.slice(1), (q) => this.#setQuery(q));
      }
      return this.#params;
    }
    toString(): string {
      return this.#p.href;
    }
    toJSON(): string {
      return this.#p.href;
    }
    get [Symbol.toStringTag](): string {
      return 'URL';
    }
  }

  /** The legacy `url.Url` object (Node's `url.parse` result). */
  function Url(this: Record<string, unknown>): void {
    for (const f of LEGACY_FIELDS) this[f] = null;
  }
  Url.prototype.format = function (this: object): string {
    return format(this);
  };
  Url.prototype.resolve = function (this: object, to: string): string {
    return bridge.call('url.resolve', format(this), String(to));
  };

  function parse(input: unknown, parseQueryString?: boolean, slashesDenoteHost?: boolean): object {
    if (input instanceof (Url as any)) return input as object;
    if (typeof input !== 'string') {
      throw Object.assign(new TypeError('The "url" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' });
    }
    const fields = bridge.call('url.legacyParse', input, Boolean(parseQueryString), Boolean(slashesDenoteHost));
    const u = new (Url as any)();
    Object.assign(u, fields);
    // Node's parsed query object has a null prototype; the bridge copy gave it Object's.
    if (parseQueryString && u.query && typeof u.query === 'object')
      u.query = Object.assign(Object.create(null), u.query);
    return u;
  }

  function format(
    obj: unknown,
    options?: { auth?: boolean; fragment?: boolean; search?: boolean; unicode?: boolean },
  ): string {
    if (typeof obj === 'string') return bridge.call('url.legacyFormat', { ...parse(obj) });
    if (obj instanceof URL) return bridge.call('url.formatURL', obj.href, options ?? {});
    if (typeof obj !== 'object' || obj === null) {
      throw Object.assign(new TypeError('The "urlObject" argument must be one of type object or string'), {
        code: 'ERR_INVALID_ARG_TYPE',
      });
    }
    const plain: Record<string, unknown> = {};
    for (const f of LEGACY_FIELDS) {
      const v = (obj as Record<string, unknown>)[f];
      if (v !== undefined && typeof v !== 'function') plain[f] = v;
    }
    return bridge.call('url.legacyFormat', plain);
  }

  function urlToHttpOptions(url: URL): Record<string, unknown> {
    const options: Record<string, unknown> = {
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      hash: url.hash,
      search: url.search,
      pathname: url.pathname,
      path: `${url.pathname || ''}${url.search || ''}`,
      href: url.href,
    };
    if (url.port !== '') options.port = Number(url.port);
    if (url.username || url.password)
      options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    return options;
  }

  return {
    URL,
    URLSearchParams,
    Url,
    parse,
    format,
    resolve: (from: string, to: string): string => bridge.call('url.resolve', String(from), String(to)),
    domainToASCII: (d: string): string => bridge.call('url.domainToASCII', String(d)),
    domainToUnicode: (d: string): string => bridge.call('url.domainToUnicode', String(d)),
    fileURLToPath: (u: string | URL): string => bridge.call('url.fileURLToPath', String(u)),
    pathToFileURL: (p: string): URL => new URL(bridge.call('url.pathToFileURL', String(p))),
    urlToHttpOptions,
  };
}
