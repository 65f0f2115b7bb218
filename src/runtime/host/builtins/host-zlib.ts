/**
 * @module runtime/host/builtins/host-zlib
 * Host side of the guest `zlib` module: node:zlib one-shot calls, synchronous (`zlib.<m>`) and
 * on the thread pool (`zlib.<m>Async`). Output is capped by `maxOutputLength` (the smaller of
 * the caller's and the host's limit) so a decompression bomb cannot exhaust the host's heap.
 * Errors carry their code in the message ("[Z_DATA_ERROR] ...") because codes do not survive
 * the bridge.
 */
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { fresh } from './bytes.js';

type HostFn = (...args: any[]) => unknown;

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
const NUMERIC = ['level', 'windowBits', 'memLevel', 'strategy', 'chunkSize', 'finishFlush', 'flush'];

function options(raw: unknown, maxOutput: number): zlib.ZlibOptions & zlib.BrotliOptions {
  const o: Record<string, unknown> = {};
  const r = (raw ?? {}) as Record<string, unknown>;
  for (const k of NUMERIC) if (typeof r[k] === 'number') o[k] = r[k];
  if (r.params && typeof r.params === 'object') {
    const params: Record<number, number> = {};
    for (const [k, v] of Object.entries(r.params)) if (typeof v === 'number') params[Number(k)] = v;
    o.params = params;
  }
  const asked = typeof r.maxOutputLength === 'number' ? r.maxOutputLength : Infinity;
  o.maxOutputLength = Math.min(asked, maxOutput);
  return o;
}

function coded(e: unknown, maxOutput: number): Error {
  const err = e as Error & { code?: string };
  // ERR_BUFFER_TOO_LARGE ("Cannot create a Buffer larger than ...") means the output cap was hit.
  const msg =
    err.code === 'ERR_BUFFER_TOO_LARGE' ? `zlib output exceeds the ${maxOutput}-byte limit for functions` : err.message;
  return new (err instanceof RangeError ? RangeError : Error)(err.code ? `[${err.code}] ${msg}` : msg);
}

function input(data: unknown): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError('zlib input must be a Uint8Array');
  return data;
}

export function zlibHostFunctions(maxOutput: number): Record<string, HostFn> {
  const fns: Record<string, HostFn> = {
    'zlib.constants': () => ({ ...zlib.constants }),
  };
  for (const m of METHODS) {
    const sync = zlib[`${m}Sync`] as (b: Uint8Array, o: object) => Buffer;
    const async = promisify(zlib[m] as (b: Uint8Array, o: object, cb: (e: Error | null, r: Buffer) => void) => void);
    fns[`zlib.${m}`] = (data: unknown, opts: unknown) => {
      try {
        return fresh(sync(input(data), options(opts, maxOutput)));
      } catch (e) {
        throw coded(e, maxOutput);
      }
    };
    fns[`zlib.${m}Async`] = async (data: unknown, opts: unknown) => {
      try {
        return fresh(await async(input(data), options(opts, maxOutput)));
      } catch (e) {
        throw coded(e, maxOutput);
      }
    };
  }
  return fns;
}
