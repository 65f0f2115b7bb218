/**
 * @module runtime/host/builtins/bytes
 * Byte helpers for values crossing into the isolate. Node Buffers often share an 8 KB pool with
 * unrelated data, and the bridge copies a view's WHOLE backing store: `fresh` copies just the
 * view's bytes into their own ArrayBuffer so no neighbouring host memory reaches a function.
 */

export function fresh(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out;
}

/** A guest-provided value as bytes: Uint8Array (any view) or a string (utf-8). */
export function asBytes(v: unknown, what = 'data'): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  throw new TypeError(`${what} must be a Uint8Array or a string`);
}

/** A list of guest chunks (Uint8Array[]). */
export function asChunks(v: unknown): Uint8Array[] {
  if (!Array.isArray(v)) return [asBytes(v)];
  return v.map((c) => asBytes(c, 'chunk'));
}
