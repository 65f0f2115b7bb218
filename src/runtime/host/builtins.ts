/**
 * @module runtime/host/builtins
 * The Node API surface inside the function sandbox: which builtin modules exist, their guest
 * source (built lazily from src/runtime/guest/builtins, see builtins/build.ts), the lazy
 * globals that map onto them, and the host functions they call through the bridge.
 *
 * Contract with the loader (runtime-core):
 * - `require(name)` accepts a name in BUILTIN_NAMES, also with the `node:` prefix (the loader
 *   strips it). Names starting with `__` are internal (used by GUEST_GLOBALS and by other
 *   builtins) and should not be offered to user code.
 * - `builtinSource(name)` is ONE expression that evaluates to `(bridge, require) => exports`;
 *   call it once per isolate with `bridge = { call(name, ...args), callAsync(name, ...args) }`
 *   and the isolate's require. Compile it with V8 cached data keyed by `builtinHash(name)`.
 * - GUEST_GLOBALS: install each as a lazy getter that requires the module on first access.
 * - createHostFunctions(opts): `bridge.call` reaches the synchronous ones via ivm.Callback,
 *   `bridge.callAsync` the Promise-returning ones (ASYNC_HOST_FUNCTIONS) via ivm.Reference with
 *   `{ arguments: { copy: true }, result: { promise: true, copy: true } }`.
 */
import { VergeError } from '../../shared/errors.js';
import { BUILTIN_FILES, buildAll } from './builtins/build.js';

export { createHostFunctions, ASYNC_HOST_FUNCTIONS } from './builtins/host-functions.js';
export type { HostFunction, HostFunctionOptions } from './builtins/host-functions.js';
export { closeHttpAgent } from './builtins/host-http.js';

export const BUILTIN_NAMES: readonly string[] = Object.freeze(Object.keys(BUILTIN_FILES));

/** Node builtins user code may require (BUILTIN_NAMES without the internal `__` ones). */
export const PUBLIC_BUILTIN_NAMES: readonly string[] = Object.freeze(BUILTIN_NAMES.filter((n) => !n.startsWith('__')));

export const GUEST_GLOBALS: Readonly<Record<string, [module: string, exportName: string]>> = Object.freeze({
  Buffer: ['buffer', 'Buffer'],
  URL: ['url', 'URL'],
  URLSearchParams: ['url', 'URLSearchParams'],
  TextEncoder: ['__web', 'TextEncoder'],
  TextDecoder: ['__web', 'TextDecoder'],
  atob: ['__web', 'atob'],
  btoa: ['__web', 'btoa'],
  structuredClone: ['__web', 'structuredClone'],
  fetch: ['__fetch', 'fetch'],
  Headers: ['__fetch', 'Headers'],
  Request: ['__fetch', 'Request'],
  Response: ['__fetch', 'Response'],
  AbortController: ['__fetch', 'AbortController'],
  AbortSignal: ['__fetch', 'AbortSignal'],
  crypto: ['crypto', 'webcrypto'],
});

function check(name: string): string {
  const n = name.startsWith('node:') ? name.slice(5) : name;
  if (!Object.hasOwn(BUILTIN_FILES, n)) throw new VergeError('INTERNAL', `no builtin module named "${name}"`);
  return n;
}

/** The guest source of one builtin: a single expression evaluating to its factory. */
export async function builtinSource(name: string): Promise<string> {
  return (await buildAll()).get(check(name))!.source;
}

/** sha256 of builtinSource(name): key V8 code caches with it. */
export async function builtinHash(name: string): Promise<string> {
  return (await buildAll()).get(check(name))!.hash;
}
