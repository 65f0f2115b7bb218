/**
 * @module runtime/host/builtins/host-functions
 * Every host function the guest builtins call through the bridge, by name. Synchronous ones are
 * for `bridge.call` (ivm.Callback); the ones returning a Promise (`http.request`,
 * `zlib.<method>Async`) are for `bridge.callAsync` (ivm.Reference). All take and return only
 * transferable values: strings, numbers, booleans, null, plain JSON and Uint8Array.
 */
import { cryptoHostFunctions, KeyCache } from './host-crypto.js';
import { httpHostFunctions } from './host-http.js';
import type { HttpOptions } from './host-http.js';
import { subtleHostFunctions } from './host-subtle.js';
import { urlHostFunctions } from './host-url.js';
import { zlibHostFunctions } from './host-zlib.js';

export interface HostFunctionOptions extends HttpOptions {
  /** Largest output of one zlib call, in bytes (default 64 MiB; a function's memory is 128 MB). */
  maxZlibOutputBytes?: number;
}

export type HostFunction = (...args: any[]) => unknown;

/** Names of the host functions that return a Promise (call them with `bridge.callAsync`). */
export const ASYNC_HOST_FUNCTIONS: ReadonlySet<string> = new Set([
  'http.request',
  ...[
    'gzip',
    'gunzip',
    'deflate',
    'inflate',
    'deflateRaw',
    'inflateRaw',
    'unzip',
    'brotliCompress',
    'brotliDecompress',
  ].map((m) => `zlib.${m}Async`),
]);

export function createHostFunctions(opts: HostFunctionOptions): Record<string, HostFunction> {
  const keys = new KeyCache();
  return {
    // The bridge copies arguments with V8's structured clone, so identity is structuredClone.
    structuredClone: (v: unknown) => v,
    ...urlHostFunctions(),
    ...cryptoHostFunctions(keys),
    ...subtleHostFunctions(keys),
    ...zlibHostFunctions(opts.maxZlibOutputBytes ?? 64 * 1024 * 1024),
    ...httpHostFunctions(opts),
  };
}
