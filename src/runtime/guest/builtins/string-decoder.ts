/**
 * @module runtime/guest/builtins/string-decoder
 * Node's `string_decoder`: decodes Buffers chunk by chunk without splitting multi-byte
 * characters (utf8, utf16le) or base64 quanta; single-byte encodings pass straight through.
 */
import type { Require } from './lib/types.js';
import { Utf8Decoder } from './lib/utf8.js';

export default function factory(_bridge: unknown, require: Require) {
  const { Buffer } = require('buffer');

  function normalize(enc: unknown): string {
    const e = String(enc ?? 'utf8').toLowerCase();
    if (e === 'utf-8' || e === 'utf8') return 'utf8';
    if (e === 'ucs2' || e === 'ucs-2' || e === 'utf16le' || e === 'utf-16le') return 'utf16le';
    if (e === 'binary') return 'latin1';
    if (!Buffer.isEncoding(e))
      throw Object.assign(new TypeError(`Unknown encoding: ${String(enc)}`), { code: 'ERR_UNKNOWN_ENCODING' });
    return e;
  }

  class StringDecoder {
    readonly encoding: string;
    #utf8: Utf8Decoder | null;
    #rest: Uint8Array = new Uint8Array(0);
    constructor(encoding?: string) {
      this.encoding = normalize(encoding);
      this.#utf8 = this.encoding === 'utf8' ? new Utf8Decoder(false) : null;
    }
    write(buf: Uint8Array | string): string {
      if (typeof buf === 'string') return buf;
      if (this.#utf8) return this.#utf8.decode(buf, false);
      const all = this.#rest.length
        ? Buffer.concat([this.#rest, buf])
        : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
      let keep = 0;
      if (this.encoding === 'base64' || this.encoding === 'base64url') keep = all.length % 3;
      else if (this.encoding === 'utf16le') {
        keep = all.length % 2;
        const last = all.length - keep >= 2 ? all.readUInt16LE(all.length - keep - 2) : 0;
        if (last >= 0xd800 && last <= 0xdbff) keep += 2;
      }
      this.#rest = Buffer.from(all.subarray(all.length - keep));
      return all.subarray(0, all.length - keep).toString(this.encoding);
    }
    end(buf?: Uint8Array): string {
      let out = buf ? this.write(buf) : '';
      if (this.#utf8) out += this.#utf8.decode(new Uint8Array(0), true);
      else if (this.#rest.length) out += Buffer.from(this.#rest).toString(this.encoding);
      this.#rest = new Uint8Array(0);
      return out;
    }
    text(buf: Uint8Array, offset: number): string {
      return this.write(buf.subarray(offset));
    }
  }
  return { StringDecoder };
}
