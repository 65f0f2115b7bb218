/**
 * @module runtime/guest/builtins/zlib
 * Node's `zlib` one-shot API, done by the host's node:zlib: the `*Sync` forms are synchronous
 * bridge calls, the callback forms run on the host's thread pool (`bridge.callAsync`) and call
 * back asynchronously, as Node does. The host caps output size (zip bombs land on the host's
 * heap before the isolate's limit could stop them). `constants` are the host's own values.
 */
import type { Bridge, Require } from './lib/types.js';

const METHODS = [
  'gzip',
  'gunzip',
  'deflate',
  'inflate',
  'deflateRaw',
  'inflateRaw',
  'unzip',
  'brotliCompress',
  'brotliDecompress',
] as const;
const OPTION_KEYS = [
  'level',
  'windowBits',
  'memLevel',
  'strategy',
  'chunkSize',
  'params',
  'maxOutputLength',
  'finishFlush',
  'flush',
];

type Cb = (err: Error | null, result?: unknown) => void;

export default function factory(bridge: Bridge, require: Require) {
  const { Buffer } = require('buffer');

  function input(buf: unknown): Uint8Array {
    if (typeof buf === 'string') {
      const b = Buffer.from(buf, 'utf8');
      return new Uint8Array(b.buffer, b.byteOffset, b.length);
    }
    if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
    if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    throw Object.assign(
      new TypeError(
        'The "buffer" argument must be of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer',
      ),
      { code: 'ERR_INVALID_ARG_TYPE' },
    );
  }
  function options(opts: unknown): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    if (opts && typeof opts === 'object')
      for (const k of OPTION_KEYS)
        if ((opts as Record<string, unknown>)[k] !== undefined) o[k] = (opts as Record<string, unknown>)[k];
    return o;
  }
  const toBuffer = (u: Uint8Array): unknown => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  // Host errors lose their `code` crossing the bridge; the host puts it first: "[Z_DATA_ERROR] message".
  const withCode = (e: unknown): Error => {
    const err = e instanceof Error ? e : new Error(String(e));
    const m = /^\[([A-Z_0-9]+)\] (.*)$/s.exec(err.message);
    if (m) {
      err.message = m[2]!;
      (err as Error & { code?: string }).code = m[1];
    }
    return err;
  };

  const zlib: Record<string, unknown> = { constants: bridge.call('zlib.constants') };
  for (const m of METHODS) {
    zlib[`${m}Sync`] = (buf: unknown, opts?: unknown) => {
      try {
        return toBuffer(bridge.call(`zlib.${m}`, input(buf), options(opts)));
      } catch (e) {
        throw withCode(e);
      }
    };
    zlib[m] = (buf: unknown, opts: unknown, cb?: Cb) => {
      if (typeof opts === 'function') [cb, opts] = [opts as Cb, undefined];
      if (typeof cb !== 'function')
        throw Object.assign(new TypeError('The "callback" argument must be of type function'), {
          code: 'ERR_INVALID_ARG_TYPE',
        });
      const done = cb;
      let data: Uint8Array;
      try {
        data = input(buf);
      } catch (e) {
        throw e;
      }
      bridge.callAsync(`zlib.${m}Async`, data, options(opts)).then(
        (r: Uint8Array) => done(null, toBuffer(r)),
        (e: unknown) => done(withCode(e)),
      );
    };
  }
  // Node also exposes the constants flat on the module (zlib.Z_BEST_COMPRESSION ...).
  for (const [k, v] of Object.entries(zlib.constants as Record<string, number>)) if (k.startsWith('Z_')) zlib[k] = v;
  return zlib;
}
