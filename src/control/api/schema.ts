/**
 * @module control/api/schema
 * A small JSON Schema subset (the keywords below) used twice from one definition: to validate
 * request bodies, with one problem per field named by JSON path (`$.runtime`), and to describe
 * the bodies in the OpenAPI document. Routes whose bodies are TypeBox schemas from src/shared
 * (the replication messages so far; see `typed`) are validated by Ajv instead, with messages in
 * the same words (src/shared/schema/check.ts): the move to schemas written once, route by route.
 */
import type { ConfigProblem } from '../../shared/config/types.js';
import { VergeError } from '../../shared/errors.js';
import { checkSchema } from '../../shared/schema/check.js';

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

export interface Schema {
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  /** false: unknown fields are problems; a schema: every other value must match it. */
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: readonly (string | number | boolean)[];
  pattern?: string;
  /** Shown instead of the raw pattern in messages. */
  'x-pattern-text'?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  oneOf?: Schema[];
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, got: string): boolean {
  return want === got || (want === 'number' && got === 'integer');
}

/** Append a key to a JSON path the way the config validator does (`$.a.b`, `$.h["x-y"]`, `$.a[0]`). */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

export function check(schema: Schema, v: unknown, path = '$', out: ConfigProblem[] = []): ConfigProblem[] {
  if (schema.oneOf) {
    const fits = schema.oneOf.map((s) => check(s, v, path, []));
    if (!fits.some((f) => f.length === 0)) out.push(...(fits.sort((a, b) => a.length - b.length)[0] ?? []));
    return out;
  }
  const got = typeOf(v);
  if (schema.type !== undefined) {
    const wants = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!wants.some((w) => typeMatches(w, got))) {
      out.push({ path, message: `must be ${wants.join(' or ')} (got ${got})` });
      return out;
    }
  }
  if (schema.enum && v !== null && !schema.enum.includes(v as string)) {
    out.push({ path, message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}` });
  }
  if (typeof v === 'string') checkString(schema, v, path, out);
  if (typeof v === 'number') {
    if (schema.minimum !== undefined && v < schema.minimum)
      out.push({ path, message: `must be at least ${schema.minimum}` });
    if (schema.maximum !== undefined && v > schema.maximum)
      out.push({ path, message: `must be at most ${schema.maximum}` });
  }
  if (Array.isArray(v)) checkArray(schema, v, path, out);
  if (got === 'object') checkObject(schema, v as Record<string, unknown>, path, out);
  return out;
}

function checkString(schema: Schema, v: string, path: string, out: ConfigProblem[]): void {
  if (schema.minLength !== undefined && v.length < schema.minLength)
    out.push({
      path,
      message: schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`,
    });
  if (schema.maxLength !== undefined && v.length > schema.maxLength)
    out.push({ path, message: `must be at most ${schema.maxLength} characters` });
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(v))
    out.push({ path, message: schema['x-pattern-text'] ?? `must match ${schema.pattern}` });
}

function checkArray(schema: Schema, v: unknown[], path: string, out: ConfigProblem[]): void {
  if (schema.minItems !== undefined && v.length < schema.minItems)
    out.push({ path, message: `needs at least ${schema.minItems} item(s)` });
  if (schema.maxItems !== undefined && v.length > schema.maxItems)
    out.push({ path, message: `may hold at most ${schema.maxItems} items` });
  if (schema.items) v.forEach((x, i) => check(schema.items!, x, at(path, i), out));
}

function checkObject(schema: Schema, o: Record<string, unknown>, path: string, out: ConfigProblem[]): void {
  for (const r of schema.required ?? [])
    if (o[r] === undefined) out.push({ path: at(path, r), message: 'is required' });
  for (const [k, x] of Object.entries(o)) {
    const prop = schema.properties?.[k];
    if (prop) check(prop, x, at(path, k), out);
    else if (schema.additionalProperties === false) {
      const known = Object.keys(schema.properties ?? {});
      out.push({ path: at(path, k), message: `unknown field (known: ${known.join(', ')})` });
    } else if (typeof schema.additionalProperties === 'object') check(schema.additionalProperties, x, at(path, k), out);
  }
}

export function validationError(problems: readonly ConfigProblem[], message?: string): VergeError {
  const first = problems[0];
  const text =
    message ??
    (first
      ? `${first.path}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`
      : 'invalid request');
  return new VergeError('VALIDATION_FAILED', text, { details: { fields: problems } });
}

/** Schemas written with TypeBox in src/shared, which Ajv validates. */
const TYPED = new WeakSet<object>();

/** A TypeBox schema (plain JSON Schema) as a route body: validated by Ajv, shown as is in OpenAPI. */
export function typed(schema: object): Schema {
  TYPED.add(schema);
  return schema as Schema;
}

/** Validate and narrow, or throw VALIDATION_FAILED listing every problem. */
export function parseBody<T>(schema: Schema, v: unknown): T {
  const problems = TYPED.has(schema) ? checkSchema(schema, v) : check(schema, v);
  if (problems.length > 0) throw validationError(problems);
  return v as T;
}

/** Reusable pieces. */
export const S = {
  name: (what: string): Schema => ({
    type: 'string',
    minLength: 1,
    maxLength: 64,
    pattern: '^[A-Za-z0-9_-]+$',
    'x-pattern-text': `${what} names use 1–64 of letters, digits, - and _`,
  }),
  envMap: (what: string, nullable = false): Schema => ({
    type: 'object',
    description: `${what}: name → value${nullable ? ' (null deletes)' : ''}`,
    additionalProperties: { type: nullable ? ['string', 'null'] : 'string', maxLength: 4096 },
  }),
  iso: { type: 'string', description: 'an ISO 8601 time' } as Schema,
};
