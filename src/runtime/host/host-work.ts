/**
 * @module runtime/host/host-work
 * Host work one function invocation may ask for (docs/errors.md FUNCTION_HOST_CALL_LIMIT), for
 * JavaScript (instance.ts) and Python (python/interpreter.ts) alike. Asynchronous host calls
 * (fetch, crypto.subtle, zlib, the timers' host sleep; Python's urlopen) hold host memory until
 * they settle, and each is work on the edge's event loop: at most MAX_HOST_CALLS_IN_FLIGHT at
 * once (Python has one at a time: its calls block the interpreter), and at most MAX_HOST_CALLS
 * per invocation (module init counts as one).
 */
export const MAX_HOST_CALLS_IN_FLIGHT = 128;
export const MAX_HOST_CALLS = 10_000;

/** The refusal: its message starts with the code, which the guest copies onto `err.code`. */
export function hostCallLimit(what: string): Error {
  const e = new Error(`FUNCTION_HOST_CALL_LIMIT: ${what}`);
  (e as { code?: string }).code = 'FUNCTION_HOST_CALL_LIMIT';
  return e;
}
