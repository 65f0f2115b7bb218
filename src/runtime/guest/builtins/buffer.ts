/**
 * @module runtime/guest/builtins/buffer
 * Node's `buffer`: feross's `buffer` polyfill (a Uint8Array subclass, as in Node), extended with
 * the `base64url` encoding Node has and the polyfill lacks, plus `atob`/`btoa` from `__web`.
 */
import { Buffer, SlowBuffer, INSPECT_MAX_BYTES, kMaxLength } from 'buffer/index.js';
import type { Require } from './lib/types.js';

const isUrl = (enc: unknown): boolean => typeof enc === 'string' && enc.toLowerCase() === 'base64url';
const toUrl = (b64: string): string => b64.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

/** Teaches the polyfill `base64url`: decoding already accepts `-` and `_`, encoding needs a pass. */
function addBase64Url(): void {
  const proto = Buffer.prototype;
  const toString = proto.toString;
  proto.toString = function (this: unknown, enc?: string, start?: number, end?: number): string {
    if (isUrl(enc)) return toUrl(toString.call(this, 'base64', start, end));
    return toString.call(this, enc, start, end);
  };
  const write = proto.write;
  proto.write = function (this: unknown, ...args: unknown[]): number {
    return write.apply(
      this,
      args.map((a, i) => (i > 0 && isUrl(a) ? 'base64' : a)),
    );
  };
  const from = Buffer.from;
  Buffer.from = function (value: unknown, enc?: unknown, len?: unknown): unknown {
    return from.call(Buffer, value, typeof value === 'string' && isUrl(enc) ? 'base64' : enc, len);
  };
  const byteLength = Buffer.byteLength;
  Buffer.byteLength = (s: unknown, enc?: string): number => byteLength(s, isUrl(enc) ? 'base64' : enc);
  const isEncoding = Buffer.isEncoding;
  Buffer.isEncoding = (enc: unknown): boolean => isUrl(enc) || isEncoding(enc);
  const alloc = Buffer.alloc;
  Buffer.alloc = (size: number, fill?: unknown, enc?: unknown): unknown =>
    alloc(size, fill, isUrl(enc) ? 'base64' : enc);
  const fill = proto.fill;
  proto.fill = function (this: unknown, ...args: unknown[]): unknown {
    return fill.apply(
      this,
      args.map((a, i) => (i > 0 && isUrl(a) ? 'base64' : a)),
    );
  };
}

export default function factory(_bridge: unknown, require: Require) {
  addBase64Url();
  const web = require('__web');
  return {
    Buffer,
    SlowBuffer,
    INSPECT_MAX_BYTES,
    kMaxLength,
    kStringMaxLength: 0x1fffffe8,
    constants: { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: 0x1fffffe8 },
    atob: web.atob,
    btoa: web.btoa,
    isUtf8: (input: ArrayBufferView | ArrayBuffer): boolean => {
      try {
        new web.TextDecoder('utf-8', { fatal: true }).decode(input);
        return true;
      } catch {
        return false;
      }
    },
    isAscii: (input: ArrayBufferView | ArrayBuffer): boolean => {
      const b =
        input instanceof ArrayBuffer
          ? new Uint8Array(input)
          : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      return b.every((x) => x < 0x80);
    },
  };
}
