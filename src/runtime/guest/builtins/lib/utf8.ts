/**
 * @module runtime/guest/builtins/lib/utf8
 * UTF-8 encoding and decoding for the isolate, which has no TextEncoder of its own. The decoder
 * follows the WHATWG Encoding Standard's UTF-8 decoder (section 9.1.1): maximal-subpart
 * replacement with U+FFFD, `fatal` mode, and streaming across chunk boundaries.
 */

/** Encodes a string as UTF-8; lone surrogates become U+FFFD, as TextEncoder does. */
export function utf8Encode(str: string): Uint8Array {
  const out = new Uint8Array(str.length * 3);
  let p = 0;
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
      continue;
    }
    if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < str.length ? str.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        i++;
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        out[p++] = 0xf0 | (cp >> 18);
        out[p++] = 0x80 | ((cp >> 12) & 63);
        out[p++] = 0x80 | ((cp >> 6) & 63);
        out[p++] = 0x80 | (cp & 63);
        continue;
      }
      c = 0xfffd;
    }
    out[p++] = 0xe0 | (c >> 12);
    out[p++] = 0x80 | ((c >> 6) & 63);
    out[p++] = 0x80 | (c & 63);
  }
  return out.slice(0, p);
}

/** Replaces lone surrogates with U+FFFD (WebIDL USVString conversion). */
export function toUSVString(s: string): string {
  return /[\ud800-\udfff]/.test(s)
    ? s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    : s;
}

/** A stateful UTF-8 decoder (WHATWG), usable for one-shot or streaming decoding. */
export class Utf8Decoder {
  #cp = 0;
  #need = 0;
  #seen = 0;
  #lo = 0x80;
  #hi = 0xbf;
  constructor(readonly fatal = false) {}

  /** Decodes `bytes`; with `flush`, an incomplete trailing sequence is an error (or U+FFFD). */
  decode(bytes: Uint8Array, flush = true): string {
    let out = '';
    let units: number[] = [];
    const push = (cp: number): void => {
      if (cp > 0xffff) {
        cp -= 0x10000;
        units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
      } else units.push(cp);
      if (units.length > 8190) {
        out += String.fromCharCode.apply(null, units);
        units = [];
      }
    };
    const bad = (): void => {
      this.#reset();
      if (this.fatal) throw codedTypeError();
      push(0xfffd);
    };
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.#need === 0) {
        if (b <= 0x7f) push(b);
        else if (b >= 0xc2 && b <= 0xdf) this.#start(1, b & 0x1f);
        else if (b >= 0xe0 && b <= 0xef) {
          if (b === 0xe0) this.#lo = 0xa0;
          if (b === 0xed) this.#hi = 0x9f;
          this.#start(2, b & 0xf);
        } else if (b >= 0xf0 && b <= 0xf4) {
          if (b === 0xf0) this.#lo = 0x90;
          if (b === 0xf4) this.#hi = 0x8f;
          this.#start(3, b & 0x7);
        } else bad();
        continue;
      }
      if (b < this.#lo || b > this.#hi) {
        bad();
        i--; // the spec "prepends" the byte: process it again as a fresh start
        continue;
      }
      this.#lo = 0x80;
      this.#hi = 0xbf;
      this.#cp = (this.#cp << 6) | (b & 0x3f);
      if (++this.#seen === this.#need) {
        const cp = this.#cp;
        this.#reset();
        push(cp);
      }
    }
    if (flush && this.#need !== 0) bad();
    return out + String.fromCharCode.apply(null, units);
  }

  #start(need: number, cp: number): void {
    this.#need = need;
    this.#cp = cp;
  }

  #reset(): void {
    this.#cp = this.#need = this.#seen = 0;
    this.#lo = 0x80;
    this.#hi = 0xbf;
  }
}

function codedTypeError(): TypeError {
  const e = new TypeError('The encoded data was not valid for encoding utf-8') as TypeError & { code: string };
  e.code = 'ERR_ENCODING_INVALID_ENCODED_DATA';
  return e;
}

/** One-shot, non-fatal decode. */
export function utf8Decode(bytes: Uint8Array): string {
  return new Utf8Decoder(false).decode(bytes, true);
}
