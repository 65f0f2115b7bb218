/**
 * @module runtime/guest/builtins/querystring
 * Node's `querystring`, ported rule for rule from Node 20's lib/querystring.js: the escape table
 * (encodeURIComponent's unreserved set), `+` as space, maxKeys (default 1000; 0 = unlimited),
 * multi-character separators, duplicate keys becoming arrays, and the unescapeBuffer fallback
 * for malformed percent-escapes. AWS's examples rebuild query strings with it (spec section 10.1
 * examples 5 and 6), so byte-exact output matters.
 */
import type { Require } from './lib/types.js';
import { utf8Decode } from './lib/utf8.js';

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push('%' + (i < 16 ? '0' : '') + i.toString(16).toUpperCase());

// 1 = left as is: A-Z a-z 0-9 - . _ ~ ! ' ( ) *
const NO_ESCAPE = new Int8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!'()*")
  NO_ESCAPE[ch.charCodeAt(0)] = 1;

function unhex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function uriError(): URIError {
  return Object.assign(new URIError('URI malformed'), { code: 'ERR_INVALID_URI' });
}

/** Node's encodeStr: like encodeURIComponent, but any surrogate takes the next code unit. */
function encodeStr(str: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) {
      if (NO_ESCAPE[c] === 1) continue;
      if (last < i) out += str.slice(last, i);
      last = i + 1;
      out += HEX[c];
      continue;
    }
    if (last < i) out += str.slice(last, i);
    if (c < 0x800) {
      last = i + 1;
      out += HEX[0xc0 | (c >> 6)]! + HEX[0x80 | (c & 0x3f)]!;
      continue;
    }
    if (c < 0xd800 || c >= 0xe000) {
      last = i + 1;
      out += HEX[0xe0 | (c >> 12)]! + HEX[0x80 | ((c >> 6) & 0x3f)]! + HEX[0x80 | (c & 0x3f)]!;
      continue;
    }
    ++i;
    if (i >= str.length) throw uriError();
    const c2 = str.charCodeAt(i) & 0x3ff;
    last = i + 1;
    c = 0x10000 + (((c & 0x3ff) << 10) | c2);
    out +=
      HEX[0xf0 | (c >> 18)]! +
      HEX[0x80 | ((c >> 12) & 0x3f)]! +
      HEX[0x80 | ((c >> 6) & 0x3f)]! +
      HEX[0x80 | (c & 0x3f)]!;
  }
  if (last === 0) return str;
  return last < str.length ? out + str.slice(last) : out;
}

/** Decodes %XX escapes into bytes, leaving malformed ones as they are (Node's unescapeBuffer). */
function unescapeBytes(s: string, decodeSpaces?: boolean): Uint8Array {
  const out = new Uint8Array(s.length);
  let index = 0;
  let o = 0;
  const maxLength = s.length - 2;
  while (index < s.length) {
    let c = s.charCodeAt(index);
    if (c === 43 && decodeSpaces) {
      out[o++] = 32;
      index++;
      continue;
    }
    if (c === 37 && index < maxLength) {
      c = s.charCodeAt(++index);
      const hi = unhex(c);
      if (hi < 0) {
        out[o++] = 37;
        continue;
      }
      const lo = unhex(s.charCodeAt(++index));
      if (lo < 0) {
        out[o++] = 37;
        index--;
      } else c = hi * 16 + lo;
    }
    out[o++] = c; // code units above 0xFF keep their low byte, as a Buffer store does
    index++;
  }
  return out.subarray(0, o);
}

type Decode = (s: string) => string;
type Encode = (s: string) => string;

function stringifyPrimitive(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && isFinite(v)) return '' + v;
  if (typeof v === 'bigint') return '' + v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return '';
}

function encodeStringified(v: unknown, encode: Encode): string {
  if (typeof v === 'string') return v.length ? encode(v) : '';
  if (typeof v === 'number' && isFinite(v)) return Math.abs(v) < 1e21 ? '' + v : encode('' + v);
  if (typeof v === 'bigint') return '' + v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return '';
}

function charCodes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  return out;
}

export default function factory(_bridge: unknown, require: Require) {
  const qs: Record<string, any> = {};

  function escape(str: unknown): string {
    if (typeof str !== 'string') str = typeof str === 'object' ? String(str) : (str as string) + '';
    return encodeStr(str as string);
  }

  function unescape(s: string, decodeSpaces?: boolean): string {
    try {
      return decodeURIComponent(s);
    } catch {
      return utf8Decode(unescapeBytes(s, decodeSpaces));
    }
  }

  function unescapeBuffer(s: string, decodeSpaces?: boolean): unknown {
    const bytes = unescapeBytes(s, decodeSpaces);
    return require('buffer').Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  function stringify(obj: unknown, sep?: string, eq?: string, options?: { encodeURIComponent?: Encode }): string {
    sep ||= '&';
    eq ||= '=';
    let encode: Encode = qs.escape;
    if (options && typeof options.encodeURIComponent === 'function') encode = options.encodeURIComponent;
    const convert = encode === escape ? encodeStringified : (v: unknown, e: Encode) => e(stringifyPrimitive(v));
    if (obj === null || typeof obj !== 'object') return '';
    let fields = '';
    for (const k of Object.keys(obj)) {
      const v = (obj as Record<string, unknown>)[k];
      const ks = convert(k, encode) + eq;
      if (Array.isArray(v)) {
        if (v.length === 0) continue;
        if (fields) fields += sep;
        for (let j = 0; j < v.length; ++j) {
          if (j) fields += sep;
          fields += ks + convert(v[j], encode);
        }
      } else {
        if (fields) fields += sep;
        fields += ks + convert(v, encode);
      }
    }
    return fields;
  }

  function decodeStr(s: string, decoder: Decode): string {
    try {
      return decoder(s);
    } catch {
      return qs.unescape(s, true);
    }
  }

  function addKeyVal(obj: any, key: string, value: string, keyEnc: boolean, valEnc: boolean, decode: Decode): void {
    if (key.length > 0 && keyEnc) key = decodeStr(key, decode);
    if (value.length > 0 && valEnc) value = decodeStr(value, decode);
    const cur = obj[key];
    if (cur === undefined) obj[key] = value;
    else if (Array.isArray(cur)) cur.push(value);
    else obj[key] = [cur, value];
  }

  qs.unescapeBuffer = unescapeBuffer;
  qs.unescape = unescape;
  qs.escape = escape;
  qs.stringify = qs.encode = stringify;
  qs.parse = qs.decode = (
    str: unknown,
    sep?: string,
    eq?: string,
    options?: { maxKeys?: number; decodeURIComponent?: Decode },
  ) => parse(str, sep, eq, options, qs, unescape, addKeyVal);
  return qs;
}

type AddKeyVal = (obj: any, key: string, value: string, keyEnc: boolean, valEnc: boolean, decode: Decode) => void;

/** Node's single-pass parser (lib/querystring.js `parse`), kept structurally identical. */
function parse(
  str: unknown,
  sep: string | undefined,
  eq: string | undefined,
  options: { maxKeys?: number; decodeURIComponent?: Decode } | undefined,
  qs: Record<string, any>,
  defaultUnescape: Decode,
  addKeyVal: AddKeyVal,
): Record<string, string | string[]> {
  const obj = Object.create(null);
  if (typeof str !== 'string' || str.length === 0) return obj;
  const sepCodes = !sep ? [38] : charCodes(String(sep));
  const eqCodes = !eq ? [61] : charCodes(String(eq));
  const sepLen = sepCodes.length;
  const eqLen = eqCodes.length;
  let pairs = 1000;
  if (options && typeof options.maxKeys === 'number') pairs = options.maxKeys > 0 ? options.maxKeys : -1;
  let decode: Decode = qs.unescape;
  if (options && typeof options.decodeURIComponent === 'function') decode = options.decodeURIComponent;
  const customDecode = decode !== defaultUnescape;
  let lastPos = 0;
  let sepIdx = 0;
  let eqIdx = 0;
  let key = '';
  let value = '';
  let keyEncoded = customDecode;
  let valEncoded = customDecode;
  const plusChar = customDecode ? '%20' : ' ';
  let encodeCheck = 0;
  for (let i = 0; i < str.length; ++i) {
    const code = str.charCodeAt(i);
    if (code === sepCodes[sepIdx]) {
      if (++sepIdx === sepLen) {
        const end = i - sepIdx + 1;
        if (eqIdx < eqLen) {
          if (lastPos < end) key += str.slice(lastPos, end);
          else if (key.length === 0) {
            if (--pairs === 0) return obj;
            lastPos = i + 1;
            sepIdx = eqIdx = 0;
            continue;
          }
        } else if (lastPos < end) value += str.slice(lastPos, end);
        addKeyVal(obj, key, value, keyEncoded, valEncoded, decode);
        if (--pairs === 0) return obj;
        keyEncoded = valEncoded = customDecode;
        key = value = '';
        encodeCheck = 0;
        lastPos = i + 1;
        sepIdx = eqIdx = 0;
      }
      continue;
    }
    sepIdx = 0;
    if (eqIdx < eqLen) {
      if (code === eqCodes[eqIdx]) {
        if (++eqIdx === eqLen) {
          const end = i - eqIdx + 1;
          if (lastPos < end) key += str.slice(lastPos, end);
          encodeCheck = 0;
          lastPos = i + 1;
        }
        continue;
      }
      eqIdx = 0;
      if (!keyEncoded) {
        if (code === 37) {
          encodeCheck = 1;
          continue;
        } else if (encodeCheck > 0) {
          if (unhex(code) >= 0) {
            if (++encodeCheck === 3) keyEncoded = true;
            continue;
          }
          encodeCheck = 0;
        }
      }
      if (code === 43) {
        if (lastPos < i) key += str.slice(lastPos, i);
        key += plusChar;
        lastPos = i + 1;
        continue;
      }
    }
    if (code === 43) {
      if (lastPos < i) value += str.slice(lastPos, i);
      value += plusChar;
      lastPos = i + 1;
    } else if (!valEncoded) {
      if (code === 37) encodeCheck = 1;
      else if (encodeCheck > 0) {
        if (unhex(code) >= 0) {
          if (++encodeCheck === 3) valEncoded = true;
        } else encodeCheck = 0;
      }
    }
  }
  if (lastPos < str.length) {
    if (eqIdx < eqLen) key += str.slice(lastPos);
    else if (sepIdx < sepLen) value += str.slice(lastPos);
  } else if (eqIdx === 0 && key.length === 0) return obj;
  addKeyVal(obj, key, value, keyEncoded, valEncoded, decode);
  return obj;
}
