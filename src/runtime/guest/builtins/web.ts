/**
 * @module runtime/guest/builtins/web
 * The internal `__web` builtin: the small Web globals (TextEncoder, TextDecoder, atob, btoa,
 * structuredClone). Kept apart from `util` and `buffer` so that a function touching only
 * `TextEncoder` or `atob` pays for a few kilobytes, not for the whole Buffer polyfill.
 */
import type { Bridge } from './lib/types.js';
import { Utf8Decoder, utf8Encode } from './lib/utf8.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

class TextEncoder {
  get encoding(): string {
    return 'utf-8';
  }
  encode(input = ''): Uint8Array {
    return utf8Encode(String(input));
  }
  encodeInto(src: string, dest: Uint8Array): { read: number; written: number } {
    let read = 0;
    let written = 0;
    for (const ch of String(src)) {
      const bytes = utf8Encode(ch);
      if (written + bytes.length > dest.length) break;
      dest.set(bytes, written);
      written += bytes.length;
      read += ch.length;
    }
    return { read, written };
  }
}

type BufferSource = ArrayBuffer | ArrayBufferView;

function asBytes(input: BufferSource | undefined): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw typeErr('ERR_INVALID_ARG_TYPE', 'The "input" argument must be an instance of ArrayBuffer or ArrayBufferView');
}

function typeErr(code: string, message: string): TypeError {
  return Object.assign(new TypeError(message), { code });
}

/** TextDecoder for utf-8 (WHATWG, with fatal and ignoreBOM) and utf-16le. */
class TextDecoder {
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  #utf8: Utf8Decoder | null;
  #bomSeen = false;
  #pending: number[] = [];
  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const l = String(label).trim().toLowerCase();
    if (l === 'utf-8' || l === 'utf8' || l === 'unicode-1-1-utf-8') this.encoding = 'utf-8';
    else if (l === 'utf-16le' || l === 'utf-16') this.encoding = 'utf-16le';
    else
      throw Object.assign(new RangeError(`The "${label}" encoding is not supported`), {
        code: 'ERR_ENCODING_NOT_SUPPORTED',
      });
    this.fatal = Boolean(options.fatal);
    this.ignoreBOM = Boolean(options.ignoreBOM);
    this.#utf8 = this.encoding === 'utf-8' ? new Utf8Decoder(this.fatal) : null;
  }
  decode(input?: BufferSource, options: { stream?: boolean } = {}): string {
    const stream = Boolean(options.stream);
    let text = this.#utf8 ? this.#utf8.decode(asBytes(input), !stream) : this.#utf16(asBytes(input), stream);
    if (!this.ignoreBOM && !this.#bomSeen && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.#bomSeen = true;
    }
    if (!stream) this.#bomSeen = false;
    return text;
  }
  #utf16(bytes: Uint8Array, stream: boolean): string {
    const all = this.#pending.concat(Array.from(bytes));
    const even = all.length - (all.length % 2);
    let units: number[] = [];
    for (let i = 0; i < even; i += 2) units.push(all[i]! | (all[i + 1]! << 8));
    this.#pending = all.slice(even);
    // A high surrogate at the end of a streamed chunk waits for its partner.
    const last = units[units.length - 1];
    if (stream && last !== undefined && last >= 0xd800 && last <= 0xdbff) {
      units = units.slice(0, -1);
      this.#pending = [last & 0xff, last >> 8, ...this.#pending];
    }
    if (!stream && this.#pending.length > 0) {
      this.#pending = [];
      if (this.fatal)
        throw typeErr('ERR_ENCODING_INVALID_ENCODED_DATA', 'The encoded data was not valid for encoding utf-16le');
      units.push(0xfffd);
    }
    let s = '';
    for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode.apply(null, units.slice(i, i + 8192));
    const fixed = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
    if (this.fatal && fixed !== s)
      throw typeErr('ERR_ENCODING_INVALID_ENCODED_DATA', 'The encoded data was not valid for encoding utf-16le');
    return fixed;
  }
}

function invalidChar(message: string): Error {
  const e = new Error(message);
  e.name = 'InvalidCharacterError';
  return e;
}

/** HTML's btoa: every code unit must be at most 0xFF. */
function btoa(input: unknown): string {
  if (arguments.length === 0) throw typeErr('ERR_MISSING_ARGS', 'The "data" argument must be specified');
  const s = String(input);
  let out = '';
  for (let i = 0; i < s.length; i += 3) {
    const a = s.charCodeAt(i);
    const b = i + 1 < s.length ? s.charCodeAt(i + 1) : -1;
    const c = i + 2 < s.length ? s.charCodeAt(i + 2) : -1;
    if (a > 255 || b > 255 || c > 255) throw invalidChar('Invalid character');
    const n = (a << 16) | ((b < 0 ? 0 : b) << 8) | (c < 0 ? 0 : c);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + (b < 0 ? '=' : B64[(n >> 6) & 63]!) + (c < 0 ? '=' : B64[n & 63]!);
  }
  return out;
}

/** HTML's forgiving-base64 decode (strips ASCII whitespace, checks padding). */
function atob(input: unknown): string {
  if (arguments.length === 0) throw typeErr('ERR_MISSING_ARGS', 'The "data" argument must be specified');
  let s = String(input).replace(/[\t\n\f\r ]/g, '');
  if (s.length % 4 === 0) s = s.replace(/==?$/, '');
  if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s))
    throw invalidChar('The string to be decoded is not correctly encoded.');
  let out = '';
  let buf = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    buf = (buf << 6) | B64.indexOf(s[i]!);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((buf >> bits) & 0xff);
    }
  }
  return out;
}

export default function factory(bridge: Bridge) {
  // The bridge copies its arguments with V8's structured clone, so an identity call is
  // exactly structuredClone (Maps, Dates, cycles, typed arrays; functions throw).
  const structuredClone = (value: unknown): unknown => bridge.call('structuredClone', value);
  return { TextEncoder, TextDecoder, atob, btoa, structuredClone };
}
