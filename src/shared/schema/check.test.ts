/**
 * checkSchema: Ajv's errors in Verge's words and JSON paths, every problem at once, on the
 * replication messages' own schemas (the words match what the hand-written validators say).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckRequestSchema, LogBatchSchema, MetricBatchSchema, RegisterRequestSchema } from '../replication/schemas.js';
import { checkSchema, fits, jsonPath } from './check.js';

test('JSON pointers become the validators’ JSON paths', () => {
  assert.equal(jsonPath(''), '$');
  assert.equal(jsonPath('/points/3/labels/x-y'), '$.points[3].labels["x-y"]');
  assert.equal(jsonPath('/a~1b/c~0d'), '$["a/b"]["c~d"]');
});

test('every problem of a body, by path, in our words', () => {
  const problems = checkSchema(RegisterRequestSchema, { pop: 'bad pop!', region: '', appliedVersion: -1, extra: 1 });
  assert.deepEqual(problems, [
    { path: '$.extra', message: 'unknown field "extra"' },
    { path: '$.pop', message: '"bad pop!" is not valid: PoP names use 1–64 of letters, digits, - and _' },
    { path: '$.region', message: 'must not be empty' },
    { path: '$.appliedVersion', message: 'must be at least 0 (got -1)' },
  ]);
  assert.deepEqual(checkSchema(AckRequestSchema, { pop: 'p1', ok: 'yes' }), [
    { path: '$.version', message: 'is required' },
    { path: '$.ok', message: 'must be true or false (got string)' },
  ]);
  assert.deepEqual(checkSchema(AckRequestSchema, { pop: 'p1', version: 2, ok: true }), []);
});

test('unions of literals, records, nested arrays and limits', () => {
  const problems = checkSchema(MetricBatchSchema, {
    batchId: 'b',
    pop: 'p',
    points: [
      { time: 1, intervalMs: 10_000, kind: 'function', labels: { name: 'a' }, counters: {} },
      { time: 1, intervalMs: 0, kind: 'gauge', labels: { 'x-y': 3 }, counters: { n: 'many' } },
    ],
  });
  assert.deepEqual(problems, [
    { path: '$.points[1].intervalMs', message: 'must be at least 1 (got 0)' },
    { path: '$.points[1].kind', message: 'must be one of "function", "distribution" (got "gauge")' },
    { path: '$.points[1].labels["x-y"]', message: 'must be a string (got 3)' },
    { path: '$.points[1].counters.n', message: 'must be a number (got string)' },
  ]);
  const tooMany = { batchId: 'b', pop: 'p', records: new Array(10_001).fill({ type: 'access', time: 1, requestId: 'r', message: 'm' }) }; // prettier-ignore
  assert.deepEqual(checkSchema(LogBatchSchema, tooMany), [{ path: '$.records', message: 'must have at most 10000 items (got 10001)' }]); // prettier-ignore
  assert.equal(fits(LogBatchSchema, { ...tooMany, records: tooMany.records.slice(0, 2) }), true);
});
