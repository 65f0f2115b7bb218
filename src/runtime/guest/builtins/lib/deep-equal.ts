/**
 * @module runtime/guest/builtins/lib/deep-equal
 * Deep equality for `assert.deepEqual` / `deepStrictEqual` and `util.isDeepStrictEqual`:
 * own enumerable keys, arrays, typed arrays, Dates, RegExps, Maps, Sets, boxed primitives and
 * cycles. Strict mode compares prototypes and uses Object.is for primitives.
 */

export function deepEqual(a: unknown, b: unknown, strict: boolean, seen = new Map<object, object>()): boolean {
  if (strict ? Object.is(a, b) : a == b || (a !== a && b !== b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const tag = Object.prototype.toString.call(a);
  if (tag !== Object.prototype.toString.call(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof RegExp) return String(a) === String(b) && a.lastIndex === (b as RegExp).lastIndex;
  if (ArrayBuffer.isView(a) && !(a instanceof DataView)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i]) && !(x[i] === y[i])) return false;
  }
  if (a instanceof Map) {
    const m = b as Map<unknown, unknown>;
    if (a.size !== m.size) return false;
    for (const [k, v] of a) if (!m.has(k) || !deepEqual(v, m.get(k), strict, seen)) return false;
    return true;
  }
  if (a instanceof Set) {
    const s = b as Set<unknown>;
    if (a.size !== s.size) return false;
    outer: for (const v of a) {
      if (s.has(v)) continue;
      if (typeof v === 'object' && v !== null) for (const w of s) if (deepEqual(v, w, strict, seen)) continue outer;
      return false;
    }
    return true;
  }
  if (a instanceof Error && (a.message !== (b as Error).message || a.name !== (b as Error).name)) return false;
  if (
    typeof (a as any).valueOf === 'function' &&
    ['[object Number]', '[object String]', '[object Boolean]'].includes(tag)
  ) {
    if (!Object.is((a as any).valueOf(), (b as any).valueOf())) return false;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqual((a as any)[k], (b as any)[k], strict, seen)) return false;
  }
  return true;
}
