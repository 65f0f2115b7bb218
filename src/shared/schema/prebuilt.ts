/**
 * @module shared/schema/prebuilt
 * The build's half of check.ts: every schema a start validates with (the distribution config,
 * the control API's request bodies, the replication messages) compiled by Ajv into one CommonJS
 * module of plain functions (Ajv "standalone" code), which scripts/build.mjs writes beside the
 * built check.js. Compiling the distribution schema alone took ~0.3 s of each `verge edge`
 * start; loading the prebuilt code takes ~0.01 s. Each validator is exported under
 * schemaKey(schema), a hash of the schema's JSON, so a schema edited after the build compiles
 * at run time instead of meeting a stale validator. Build-time only: nothing at run time
 * imports this file.
 */
import { createRequire } from 'node:module';
import type { Ajv as AjvClass } from 'ajv';
import * as bodies from '../api/bodies.js';
import { DistributionSchema } from '../config/schema.js';
import * as replication from '../replication/schemas.js';
import { AJV_OPTIONS, schemaKey } from './check.js';

/** Where the build writes the module, relative to dist/ (check.ts loads it as ./prebuilt-validators.cjs). */
export const PREBUILT_FILE = 'shared/schema/prebuilt-validators.cjs';

const isSchema = (v: unknown): v is object =>
  typeof v === 'object' && v !== null && ('type' in v || 'anyOf' in v || 'const' in v);

/** The schemas the validators are prebuilt for, once each by content. */
export function prebuiltSchemas(): Map<string, object> {
  const out = new Map<string, object>();
  for (const s of [DistributionSchema, ...Object.values(bodies), ...Object.values(replication)])
    if (isSchema(s)) out.set(schemaKey(s), s);
  return out;
}

/** The CommonJS source of the prebuilt validators (`exports[schemaKey(schema)] = validate`). */
export function prebuiltValidatorSource(schemas = prebuiltSchemas()): string {
  const require = createRequire(import.meta.url);
  const Ajv = (require('ajv') as { default: typeof AjvClass }).default;
  const standalone = (require('ajv/dist/standalone') as { default: (ajv: AjvClass, refs: object) => string }).default;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  for (const [key, schema] of schemas) ajv.addSchema(schema, key);
  return standalone(ajv, Object.fromEntries([...schemas.keys()].map((k) => [k, k])));
}
