/**
 * @module shared/schema/check
 * Validation of TypeBox schemas (plain JSON Schema) with Ajv, all errors at once, as Verge's
 * problems: one `{ path: '$.a[0].b', message }` per problem, in the words users have read since
 * the hand-written validator (`is required`, `unknown field "x" (did you mean "y"?)`, `must be
 * between 1 and 65535 (got 0)`, a pattern's `x-pattern-text`). A failed union reports the
 * errors of the one branch whose JSON type fits the value (an inline policy object), or the
 * union's `x-union-text` / its literals. Validators are compiled once per schema object, or
 * come prebuilt with the build (prebuilt.ts).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { didYouMean } from './suggest.js';

/** One problem at a JSON path such as `$.cacheBehaviors[1].pathPattern`. */
export interface ConfigProblem {
  path: string;
  message: string;
}

// strict: false lets schemas carry our annotation keywords (x-pattern-text) and TypeBox's own.
export const AJV_OPTIONS = { allErrors: true, strict: false, verbose: true } as const;

const require = createRequire(import.meta.url);
let ajv: AjvClass | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/** A schema's name among the prebuilt validators: a hash of its JSON, so an edited schema never meets a stale one. */
export function schemaKey(schema: object): string {
  return `v${createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 24)}`;
}

/**
 * The build (scripts/build.mjs, prebuilt.ts) writes the validators as code beside the built
 * copy of this file; from src/ there is none and Ajv compiles each schema on first use.
 */
let prebuilt: Record<string, ValidateFunction> | null | undefined;
function prebuiltFor(schema: object): ValidateFunction | undefined {
  if (prebuilt === undefined) {
    try {
      prebuilt = require('./prebuilt-validators.cjs') as Record<string, ValidateFunction>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
      prebuilt = null;
    }
  }
  return prebuilt?.[schemaKey(schema)];
}

/** Ajv itself loads only when a schema has no prebuilt validator (~30 ms of a start). */
export function compileSchema(schema: object): ValidateFunction {
  // Ajv is CommonJS; its class is the module's `default`.
  ajv ??= new (require('ajv') as { default: typeof AjvClass }).default(AJV_OPTIONS);
  return ajv.compile(schema);
}

function validator(schema: object): ValidateFunction {
  const had = compiled.get(schema);
  if (had) return had;
  const v = prebuiltFor(schema) ?? compileSchema(schema);
  compiled.set(schema, v);
  return v;
}

/** `$.a` + `b` → `$.a.b`; keys that are not identifiers use bracket form (`$.h["x-y"]`). */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** `/a/0/b~1c` → `$.a[0]["b/c"]` (the config validator's JSON path style). */
export function jsonPath(pointer: string): string {
  let out = '$';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out = /^\d+$/.test(key) ? at(out, Number(key)) : at(out, key);
  }
  return out;
}

const jsonType = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v; // prettier-ignore

const TYPE_WORDS: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  boolean: 'true or false',
  integer: 'an integer',
  number: 'a number',
  null: 'null',
};

/** What a value is, for `(got ...)`: its type, or the number itself when a number is the wrong kind. */
function got(v: unknown): string {
  const t = jsonType(v);
  return t === 'number' || t === 'integer' ? String(v) : t;
}

function quoted(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function problem(e: ErrorObject): ConfigProblem {
  const path = jsonPath(e.instancePath);
  const p = e.params as Record<string, any>;
  const s = (e.parentSchema ?? {}) as Record<string, any>;
  switch (e.keyword) {
    case 'required':
      return { path: at(path, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      return { path: at(path, key), message: `unknown field ${quoted(key)}${didYouMean(key, Object.keys(s.properties ?? {}))}` }; // prettier-ignore
    }
    case 'type': {
      if (typeof s['x-type-text'] === 'string') return { path, message: s['x-type-text'] };
      const wants = [p.type].flat().join(',').split(',') as string[];
      return { path, message: `must be ${wants.map((w) => TYPE_WORDS[w] ?? w).join(' or ')} (got ${got(e.data)})` };
    }
    case 'minLength':
      return { path, message: p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters` };
    case 'maxLength':
      return { path, message: `must be at most ${p.limit} characters (got ${String(e.data).length})` };
    case 'pattern': {
      const text = typeof s['x-pattern-text'] === 'string' ? s['x-pattern-text'] : `must match ${p.pattern}`;
      return { path, message: `${quoted(e.data)} is not valid: ${text}` };
    }
    case 'minimum':
    case 'maximum':
      if (typeof s.minimum === 'number' && typeof s.maximum === 'number')
        return { path, message: `must be between ${s.minimum} and ${s.maximum} (got ${got(e.data)})` };
      return { path, message: `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${p.limit} (got ${got(e.data)})` }; // prettier-ignore
    case 'minItems':
      return { path, message: p.limit === 1 ? 'must not be empty' : `must have at least ${p.limit} items` };
    case 'maxItems':
      return { path, message: `must have at most ${p.limit} items (got ${(e.data as unknown[]).length})` };
    case 'minProperties':
    case 'maxProperties':
      if (typeof s['x-properties-text'] === 'string') return { path, message: s['x-properties-text'] };
      return { path, message: `must have ${e.keyword === 'minProperties' ? 'at least' : 'at most'} ${p.limit} fields` }; // prettier-ignore
    case 'enum':
      return oneOf(path, p.allowedValues as unknown[], e.data);
    case 'const':
      return oneOf(path, [p.allowedValue], e.data);
    case 'anyOf': {
      if (typeof s['x-union-text'] === 'string') return { path, message: s['x-union-text'] };
      const consts = ((s.anyOf ?? []) as Array<Record<string, unknown>>).map((b) => b.const);
      if (consts.length && consts.every((c) => c !== undefined)) return oneOf(path, consts, e.data);
      const types = ((s.anyOf ?? []) as Array<Record<string, unknown>>).flatMap((b) => [b.type ?? []].flat());
      return { path, message: `must be ${[...new Set(types as string[])].map((w) => TYPE_WORDS[w] ?? w).join(' or ')} (got ${got(e.data)})` }; // prettier-ignore
    }
    case 'not':
      if (typeof s['x-never-text'] === 'string') return { path, message: s['x-never-text'] };
      return { path, message: 'is not allowed here' };
    default:
      return { path, message: e.message ?? `fails ${e.keyword}` };
  }
}

function oneOf(path: string, values: unknown[], data: unknown): ConfigProblem {
  const hint = typeof data === 'string' ? didYouMean(data, values.filter((x): x is string => typeof x === 'string')) : ''; // prettier-ignore
  const shown = typeof data === 'string' ? quoted(data) : got(data);
  return { path, message: `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')} (got ${shown})${hint}` };
}

/** Whether a union branch could describe a value of this JSON type (then its errors are the ones to show). */
function branchFits(branch: Record<string, unknown>, data: unknown): boolean {
  const t = jsonType(data);
  if (branch.const !== undefined) return jsonType(branch.const) === t || (t === 'integer' && typeof branch.const === 'number'); // prettier-ignore
  if (branch.anyOf) return (branch.anyOf as Array<Record<string, unknown>>).some((b) => branchFits(b, data));
  const types = [branch.type ?? []].flat() as string[];
  if (types.length === 0) return true;
  return types.includes(t) || (t === 'integer' && types.includes('number'));
}

/**
 * Ajv reports every branch of a failed union. Keep the branch errors only when exactly one
 * branch fits the value's type (and drop the union's own error); otherwise keep the union's.
 */
function pruneUnions(errors: ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const droppedPrefixes: string[] = [];
  const extra: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword !== 'anyOf') continue;
    const branches = ((e.parentSchema as Record<string, unknown>)?.anyOf ?? []) as Array<Record<string, unknown>>;
    let fitting = branches.map((b, i) => (branchFits(b, e.data) ? i : -1)).filter((i) => i >= 0);
    // Several object shapes ({ whitelist } | { allExcept }): the one whose required fields are all there.
    if (fitting.length > 1 && jsonType(e.data) === 'object') {
      const data = e.data as Record<string, unknown>;
      const keyed = fitting.filter((i) => ((branches[i]!.required ?? []) as string[]).every((k) => k in data));
      if (keyed.length === 1) fitting = keyed;
      else if (keyed.length === 0) {
        // { whitelistt: [...] }: name the unknown field against every shape's fields, as one object would.
        const known = fitting.flatMap((i) => Object.keys((branches[i]!.properties ?? {}) as object));
        const unknown = Object.keys(data).filter((k) => !known.includes(k));
        for (const k of unknown)
          extra.push({ ...e, keyword: 'additionalProperties', params: { additionalProperty: k }, parentSchema: { properties: Object.fromEntries(known.map((n) => [n, {}])) } }); // prettier-ignore
        if (unknown.length > 0) dropped.add(e);
      }
    }
    const prefix = `${e.schemaPath}/`;
    if (fitting.length === 1 && !(branches[fitting[0]!]!.const !== undefined)) {
      dropped.add(e);
      branches.forEach((_, i) => i !== fitting[0] && droppedPrefixes.push(`${prefix}${i}/`));
    } else droppedPrefixes.push(prefix);
  }
  const kept = errors.filter((e) => !dropped.has(e) && !droppedPrefixes.some((p) => e.schemaPath.startsWith(p)));
  return [...kept, ...extra];
}

/** As the hand-written checks did: a string too short or too long is not also reported for its pattern. */
function oneStringProblem(errors: ErrorObject[]): ErrorObject[] {
  const length = new Set(errors.filter((e) => e.keyword === 'minLength' || e.keyword === 'maxLength').map((e) => e.instancePath)); // prettier-ignore
  return errors.filter((e) => !(e.keyword === 'pattern' && length.has(e.instancePath)));
}

/** Every problem of `value` against `schema` (empty when it is valid). */
export function checkSchema(schema: object, value: unknown): ConfigProblem[] {
  const v = validator(schema);
  if (v(value)) return [];
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const e of oneStringProblem(pruneUnions(v.errors ?? []))) {
    const p = problem(e);
    const key = `${p.path}\0${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

/** True when `value` fits `schema`, narrowing it to the schema's type. */
export function fits<T>(schema: object, value: unknown): value is T {
  return validator(schema)(value) as boolean;
}
