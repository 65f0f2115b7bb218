/**
 * @module runtime/guest/builtins/lib/types
 * The contract between a guest builtin and the runtime that loads it. Each builtin's default
 * export is a factory `(bridge, require) => exports`, called once per isolate on first `require`.
 * Only transferable values cross the bridge: strings, numbers, booleans, null, plain JSON and
 * Uint8Array (host functions are listed in src/runtime/host/builtins/host-functions.ts).
 */

export interface Bridge {
  /** Calls a synchronous host function; arguments and result are copied. */
  call(name: string, ...args: unknown[]): any;
  /** Calls an asynchronous host function; the promise settles with a copy of its result. */
  callAsync(name: string, ...args: unknown[]): Promise<any>;
}

export type Require = (name: string) => any;

export type Factory = (bridge: Bridge, require: Require) => unknown;

/** Globals the runtime may or may not provide (timers, console): always feature-test them. */
export interface MaybeGlobals {
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (t: unknown) => void;
  console?: { warn(...a: unknown[]): void; error(...a: unknown[]): void };
  process?: { cwd?: () => string; emitWarning?: (msg: string, type?: string) => void };
}

export const maybe = globalThis as unknown as MaybeGlobals;

/** An error carrying a Node-style `code` (ERR_INVALID_ARG_TYPE and friends). */
export function codedError<E extends Error>(
  Ctor: new (m: string) => E,
  code: string,
  message: string,
): E & { code: string } {
  const e = new Ctor(message) as E & { code: string };
  e.code = code;
  return e;
}

/** Runs `fn` asynchronously (a microtask: the isolate has no queueMicrotask of its own). */
export function defer(fn: () => void): void {
  void Promise.resolve().then(fn);
}
