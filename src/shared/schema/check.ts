/**
 * @module shared/schema/check
 * Validation of TypeBox schemas (plain JSON Schema) with Ajv, all errors at once, as Verge's
 * problems: one `{ path: '$.a[0].b', message }` per problem, worded like the hand-written
 * validators (`is required`, `unknown field (known: ...)`, `must not be empty`, a pattern's
 * `x-pattern-text`), so a user reads the same kind of message whichever checked the input.
 * Validators are compiled once per schema object and cached.
 */
import * as AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ConfigProblem } from '../config/types.js';

// Ajv is CommonJS: under Node's ESM loader its class is the default export's `default`.
const Ajv = AjvModule.default as unknown as typeof AjvModule.Ajv;

// strict: false lets schemas carry our annotation keywords (x-pattern-text) and TypeBox's own.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const compiled = new WeakMap<object, ValidateFunction>();

function validator(schema: object): ValidateFunction {
  const had = compiled.get(schema);
  if (had) return had;
  const v = ajv.compile(schema);
  compiled.set(schema, v);
  return v;
}

/** `/a/0/b~1c` → `$.a[0]["b/c"]` (the config validator's JSON path style). */
export function jsonPath(pointer: string): string {
  let out = '$';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else out += /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return out;
}

const typeOf = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v; // prettier-ignore

function problem(e: ErrorObject): ConfigProblem {
  const path = jsonPath(e.instancePath);
  const p = e.params as Record<string, any>;
  const s = (e.parentSchema ?? {}) as Record<string, any>;
  switch (e.keyword) {
    case 'required':
      return { path: jsonPath(`${e.instancePath}/${String(p.missingProperty).replace(/~/g, '~0').replace(/\//g, '~1')}`), message: 'is required' }; // prettier-ignore
    case 'additionalProperties':
      return {
        path: jsonPath(`${e.instancePath}/${String(p.additionalProperty)}`),
        message: `unknown field (known: ${Object.keys(s.properties ?? {}).join(', ')})`,
      };
    case 'type':
      return { path, message: `must be ${[p.type].flat().join(' or ')} (got ${typeOf(e.data)})` };
    case 'minLength':
      return { path, message: p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters` };
    case 'maxLength':
      return { path, message: `must be at most ${p.limit} characters` };
    case 'pattern':
      return { path, message: typeof s['x-pattern-text'] === 'string' ? s['x-pattern-text'] : `must match ${p.pattern}` }; // prettier-ignore
    case 'minimum':
      return { path, message: `must be at least ${p.limit}` };
    case 'maximum':
      return { path, message: `must be at most ${p.limit}` };
    case 'minItems':
      return { path, message: `needs at least ${p.limit} item(s)` };
    case 'maxItems':
      return { path, message: `may hold at most ${p.limit} items` };
    case 'enum':
      return { path, message: `must be one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}` }; // prettier-ignore
    case 'anyOf': {
      // A union of literals (TypeBox's Union of Literal): one message naming them.
      const consts = ((s.anyOf ?? []) as Array<Record<string, unknown>>).map((b) => b.const);
      if (consts.length && consts.every((c) => c !== undefined))
        return { path, message: `must be one of ${consts.map((x) => JSON.stringify(x)).join(', ')}` };
      return { path, message: 'matches none of the allowed shapes' };
    }
    default:
      return { path, message: e.message ?? `fails ${e.keyword}` };
  }
}

/** Every problem of `value` against `schema` (empty when it is valid). */
export function checkSchema(schema: object, value: unknown): ConfigProblem[] {
  const v = validator(schema);
  if (v(value)) return [];
  const errors = v.errors ?? [];
  // A failed union of literals also reports each branch's `const`: the union's message says it all.
  const unions = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if ((e.keyword === 'const' || e.keyword === 'type') && unions.has(e.instancePath) && /\/anyOf\/\d+\//.test(e.schemaPath)) continue; // prettier-ignore
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
