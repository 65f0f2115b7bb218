/**
 * @module runtime/guest/builtins/lib/search-params
 * WHATWG URLSearchParams (URL Standard section 6.2) over the application/x-www-form-urlencoded
 * parser and serializer (section 5). A URL links itself through `onUpdate` so that changes
 * write back to its query, as the standard's "update steps" require.
 */
import { toUSVString, utf8Decode, utf8Encode } from './utf8.js';

const SAFE = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._') SAFE[ch.charCodeAt(0)] = 1;

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Percent-decodes bytes (URL Standard "percent-decode"), then UTF-8 decodes without BOM. */
function decodeComponent(s: string): string {
  const bytes = utf8Encode(s.replace(/\+/g, ' '));
  const out = new Uint8Array(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 37 && i + 2 < bytes.length && hexVal(bytes[i + 1]!) >= 0 && hexVal(bytes[i + 2]!) >= 0) {
      out[o++] = hexVal(bytes[i + 1]!) * 16 + hexVal(bytes[i + 2]!);
      i += 2;
    } else out[o++] = b;
  }
  return utf8Decode(out.subarray(0, o));
}

function encodeComponent(s: string): string {
  const bytes = utf8Encode(s);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 32) out += '+';
    else if (b < 128 && SAFE[b]) out += String.fromCharCode(b);
    else out += '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
  }
  return out;
}

export function parseUrlencoded(input: string): [string, string][] {
  const list: [string, string][] = [];
  for (const seq of input.split('&')) {
    if (seq === '') continue;
    const eq = seq.indexOf('=');
    const name = eq < 0 ? seq : seq.slice(0, eq);
    const value = eq < 0 ? '' : seq.slice(eq + 1);
    list.push([decodeComponent(name), decodeComponent(value)]);
  }
  return list;
}

export function serializeUrlencoded(list: [string, string][]): string {
  return list.map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`).join('&');
}

export const initSearchParams: unique symbol = Symbol('init');

export class URLSearchParams {
  #list: [string, string][] = [];
  #onUpdate: ((query: string) => void) | null = null;

  constructor(init: unknown = '') {
    if (typeof init === 'object' && init !== null) {
      if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
        for (const pair of init as Iterable<unknown>) {
          const p = Array.from(pair as Iterable<unknown>);
          if (p.length !== 2)
            throw Object.assign(new TypeError('Each query pair must be an iterable [name, value] tuple'), {
              code: 'ERR_INVALID_TUPLE',
            });
          this.#list.push([toUSVString(String(p[0])), toUSVString(String(p[1]))]);
        }
      } else {
        for (const k of Object.keys(init))
          this.#list.push([toUSVString(k), toUSVString(String((init as Record<string, unknown>)[k]))]);
      }
    } else {
      const s = toUSVString(String(init));
      this.#list = parseUrlencoded(s.startsWith('?') ? s.slice(1) : s);
    }
  }

  /** Used by URL: replace the list from a query and link updates back to the URL. */
  [initSearchParams](query: string, onUpdate: (query: string) => void): void {
    this.#list = parseUrlencoded(query);
    this.#onUpdate = onUpdate;
  }
  #update(): void {
    this.#onUpdate?.(serializeUrlencoded(this.#list));
  }

  get size(): number {
    return this.#list.length;
  }
  append(name: string, value: string): void {
    this.#list.push([toUSVString(String(name)), toUSVString(String(value))]);
    this.#update();
  }
  delete(name: string, value?: string): void {
    const n = toUSVString(String(name));
    this.#list = this.#list.filter(([k, v]) => !(k === n && (value === undefined || v === toUSVString(String(value)))));
    this.#update();
  }
  get(name: string): string | null {
    const n = String(name);
    return this.#list.find(([k]) => k === n)?.[1] ?? null;
  }
  getAll(name: string): string[] {
    const n = String(name);
    return this.#list.filter(([k]) => k === n).map(([, v]) => v);
  }
  has(name: string, value?: string): boolean {
    const n = String(name);
    return this.#list.some(([k, v]) => k === n && (value === undefined || v === String(value)));
  }
  set(name: string, value: string): void {
    const n = toUSVString(String(name));
    const v = toUSVString(String(value));
    const i = this.#list.findIndex(([k]) => k === n);
    if (i < 0) this.#list.push([n, v]);
    else {
      this.#list[i] = [n, v];
      this.#list = this.#list.filter(([k], j) => j <= i || k !== n);
    }
    this.#update();
  }
  sort(): void {
    // Stable sort by code units (URL Standard 6.2): Array.prototype.sort is stable in ES2019+.
    this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#update();
  }
  forEach(cb: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void {
    for (const [k, v] of this.#list) cb.call(thisArg, v, k, this);
  }
  *entries(): IterableIterator<[string, string]> {
    for (const [k, v] of this.#list) yield [k, v];
  }
  *keys(): IterableIterator<string> {
    for (const [k] of this.#list) yield k;
  }
  *values(): IterableIterator<string> {
    for (const [, v] of this.#list) yield v;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  toString(): string {
    return serializeUrlencoded(this.#list);
  }
  get [Symbol.toStringTag](): string {
    return 'URLSearchParams';
  }
}
