/**
 * The prebuilt validators (prebuilt.ts, written by the build) report exactly what Ajv's compiled
 * ones report, error for error (keyword, paths, params, data, parent schema: everything check.ts
 * turns into problems), on broken configs and bodies; and every schema a start validates with is
 * in the set, under a key that changes when the schema does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { FunctionCreateSchema, TriggerCreateSchema } from '../api/bodies.js';
import { DistributionSchema } from '../config/schema.js';
import { RegisterRequestSchema } from '../replication/schemas.js';
import { compileSchema, schemaKey } from './check.js';
import { prebuiltSchemas, prebuiltValidatorSource } from './prebuilt.js';

const wanted = [DistributionSchema, FunctionCreateSchema, TriggerCreateSchema, RegisterRequestSchema];

/** The generated module, loaded as the build's copy would be (its `require` resolves ajv's runtime). */
function load(source: string): Record<string, ValidateFunction> {
  const exports: Record<string, ValidateFunction> = {};
  new Function('exports', 'require', source)(exports, createRequire(import.meta.url));
  return exports;
}

test('the config, API body and replication schemas are all prebuilt, keyed by content', () => {
  const keys = prebuiltSchemas();
  for (const s of wanted) assert.ok(keys.has(schemaKey(s)));
  assert.notEqual(schemaKey({ ...DistributionSchema, description: 'edited' }), schemaKey(DistributionSchema));
});

test('prebuilt and compiled validators give the same errors', () => {
  const pre = load(prebuiltValidatorSource(new Map(wanted.map((s) => [schemaKey(s), s]))));
  const cases: Array<[object, unknown]> = [
    [DistributionSchema, { id: 'x', origins: [{ id: 'o', domainName: 'a..b', bogus: 1 }], defaultCacheBehavior: { targetOriginId: 'o', viewerProtocolPolicy: 'nah', cachePolicy: { minTTL: -1 } } }], // prettier-ignore
    [DistributionSchema, { id: '', origins: [], defaultCacheBehavior: 3, cacheBehaviors: [{ pathPattern: 7 }] }],
    [DistributionSchema, { id: 'ok', origins: [{ id: 'o', domainName: 'example.com' }], defaultCacheBehavior: { targetOriginId: 'o' } }], // prettier-ignore
    [FunctionCreateSchema, { name: 'bad name!', runtime: 'cobol', code: { zipBase64: '' } }],
    [TriggerCreateSchema, { eventType: 'viewer-lunch' }],
    [RegisterRequestSchema, { pop: 'p', region: '', appliedVersion: -1, extra: true }],
  ];
  let failing = 0;
  for (const [schema, value] of cases) {
    const a = pre[schemaKey(schema)]!;
    const b = compileSchema(schema);
    assert.equal(a(value), b(value));
    assert.deepEqual(a.errors ?? null, b.errors ?? null);
    if (b.errors?.length) failing++;
  }
  assert.equal(failing, cases.length - 1, 'all but the valid config fail');
});
