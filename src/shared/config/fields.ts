/**
 * @module shared/config/fields
 * Small reusable field checkers for the hand-written config validator. Each checker records a
 * problem and returns `undefined` when the value is wrong, so a caller keeps going and the
 * validator reports every problem in one pass instead of stopping at the first.
 */
import type { ConfigProblem } from './types.js';

export type Obj = Record<string, unknown>;

/** Collects problems; shared by every checker in one validation run. */
export class Problems {
  readonly list: ConfigProblem[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `$.a` + `b` → `$.a.b`; keys that are not identifiers use bracket form (`$.h["x-y"]`). */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Levenshtein distance, bounded work for the short field names it is used on. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known name closest to `name`, if it is close enough to be a likely typo. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = k.toLowerCase() === lower ? 0 : distance(lower, k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  return bestD <= allowed ? best : undefined;
}

export function didYouMean(name: string, known: readonly string[]): string {
  const s = suggest(name, known);
  return s === undefined ? '' : ` (did you mean "${s}"?)`;
}

/**
 * Check that `v` is an object with only `known` fields and every `required` one. Returns the
 * object (even with unknown fields, so its known fields are still checked) or undefined.
 */
export function checkObject(
  p: Problems,
  v: unknown,
  path: string,
  known: readonly string[],
  required: readonly string[] = [],
): Obj | undefined {
  if (!isObj(v)) {
    p.add(path, `must be an object (got ${typeName(v)})`);
    return undefined;
  }
  for (const key of Object.keys(v)) {
    if (!known.includes(key)) p.add(at(path, key), `unknown field "${key}"${didYouMean(key, known)}`);
  }
  for (const key of required) if (v[key] === undefined) p.add(at(path, key), 'is required');
  return v;
}

export interface StringOpts {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** Says what the pattern allows, for the message. */
  patternText?: string;
}

export function checkString(p: Problems, v: unknown, path: string, o: StringOpts = {}): string | undefined {
  if (typeof v !== 'string') {
    p.add(path, `must be a string (got ${typeName(v)})`);
    return undefined;
  }
  if (o.min !== undefined && v.length < o.min) {
    p.add(path, o.min === 1 ? 'must not be empty' : `must be at least ${o.min} characters`);
    return undefined;
  }
  if (o.max !== undefined && v.length > o.max) {
    p.add(path, `must be at most ${o.max} characters (got ${v.length})`);
    return undefined;
  }
  if (o.pattern && !o.pattern.test(v)) {
    p.add(path, `${JSON.stringify(v)} is not valid: ${o.patternText ?? `must match ${o.pattern}`}`);
    return undefined;
  }
  return v;
}

export function checkInt(p: Problems, v: unknown, path: string, min: number, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    p.add(path, `must be an integer (got ${typeName(v) === 'number' ? String(v) : typeName(v)})`);
    return undefined;
  }
  if (v < min || v > max) {
    p.add(path, `must be between ${min} and ${max} (got ${v})`);
    return undefined;
  }
  return v;
}

export function checkBool(p: Problems, v: unknown, path: string): boolean | undefined {
  if (typeof v !== 'boolean') {
    p.add(path, `must be true or false (got ${typeName(v)})`);
    return undefined;
  }
  return v;
}

export function checkEnum<T extends string>(
  p: Problems,
  v: unknown,
  path: string,
  values: readonly T[],
): T | undefined {
  if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
  const got = typeof v === 'string' ? JSON.stringify(v) : typeName(v);
  const hint = typeof v === 'string' ? didYouMean(v, values) : '';
  p.add(path, `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')} (got ${got})${hint}`);
  return undefined;
}

export function checkArray(p: Problems, v: unknown, path: string, max: number, min = 0): unknown[] | undefined {
  if (!Array.isArray(v)) {
    p.add(path, `must be an array (got ${typeName(v)})`);
    return undefined;
  }
  if (v.length > max) {
    p.add(path, `must have at most ${max} items (got ${v.length})`);
    return undefined;
  }
  if (v.length < min) {
    p.add(path, min === 1 ? 'must not be empty' : `must have at least ${min} items`);
    return undefined;
  }
  return v;
}

/** An array of strings, each checked with `o`; returns only when every item is valid. */
export function checkStringArray(
  p: Problems,
  v: unknown,
  path: string,
  max: number,
  o: StringOpts = {},
): string[] | undefined {
  const arr = checkArray(p, v, path, max);
  if (!arr) return undefined;
  let ok = true;
  arr.forEach((item, i) => {
    if (checkString(p, item, at(path, i), o) === undefined) ok = false;
  });
  return ok ? (arr as string[]) : undefined;
}

/** Report later items that repeat an earlier one (compared by `keyOf`). */
export function checkUnique(
  p: Problems,
  items: readonly unknown[],
  path: string,
  what: string,
  keyOf: (v: unknown) => string | undefined,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = keyOf(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first !== undefined) p.add(at(path, i), `duplicate ${what} ${JSON.stringify(k)} (first at ${at(path, first)})`);
    else seen.set(k, i);
  });
}

/** An HTTP header field name (RFC 9110 5.1: a token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
export const HEADER_NAME_TEXT = "a header name is a token (letters, digits and !#$%&'*+-.^_`|~)";
