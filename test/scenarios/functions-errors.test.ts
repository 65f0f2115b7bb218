/**
 * @module test/scenarios/functions-errors.test
 * Every function error class through a real edge (spec 5.1): the viewer's status and `X-Cache`
 * class, the exact reason in the edge's function-error log entry and in the access log's
 * `x-edge-error`. Also throttling at the concurrency limit, and a hostile `while(true){}`
 * function that times out while the other behaviors keep serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { distribution, startTestEdge, type TestEdge, type TestResponse } from '../harness/edge.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { accessLine, functionErrors, xCache } from './functions-kit.js';

let origin: ScriptedOrigin;
let te: TestEdge;

const FILES: Record<string, string> = {
  'fn/throw.js': `exports.handler = async () => { throw new Error('boom from the function'); };`,
  'fn/slow.js': `exports.handler = (event, context, callback) => { setTimeout(() => callback(null, event.Records[0].cf.request), 3000); };`,
  'fn/invalid.js': `exports.handler = async () => 42;`,
  'fn/read-only.js': `exports.handler = async (event) => { const r = event.Records[0].cf.request; r.headers.host = [{ key: 'Host', value: 'evil.example' }]; return r; };`,
  'fn/busy.js': `exports.handler = (event, context, callback) => { setTimeout(() => callback(null, event.Records[0].cf.request), 400); };`,
  'fn/hostile.js': `exports.handler = async () => { while (true) {} };`,
  'fn/cff-throw.js': `function handler(event) { throw new Error('cff says no'); }`,
};

function behavior(pathPattern: string, fn: string | Record<string, unknown>) {
  return {
    pathPattern,
    targetOriginId: 'o1',
    cachePolicy: 'CachingDisabled',
    functionAssociations: [{ eventType: 'viewer-request', function: fn }],
  };
}

before(async () => {
  origin = await startOrigin({ '*': { status: 200, headers: { 'cache-control': 'max-age=60' }, body: 'from origin' } });
  te = await startTestEdge({
    configs: [
      distribution(origin.port, {
        cacheBehaviors: [
          behavior('/throw', './fn/throw.js'),
          behavior('/timeout', { path: './fn/slow.js', timeoutMs: 200 }),
          behavior('/invalid', './fn/invalid.js'),
          behavior('/read-only', './fn/read-only.js'),
          behavior('/busy', { path: './fn/busy.js', concurrency: 1 }),
          behavior('/hostile', { path: './fn/hostile.js', timeoutMs: 300 }),
          behavior('/cff', { path: './fn/cff-throw.js', runtime: 'cloudfront-js-2.0' }),
          { pathPattern: '/static/*', targetOriginId: 'o1', cachePolicy: 'CachingOptimized' },
        ],
      }),
    ],
    files: FILES,
  });
});
after(async () => {
  await te?.close();
  await origin?.close();
});

/** Status, X-Cache class, and the reason in both the function-error log entry and the access log. */
async function expectError(r: TestResponse, status: number, cls: string, code: string, reason: RegExp): Promise<void> {
  assert.equal(r.status, status);
  assert.equal(xCache(r), cls);
  const id = r.header('x-verge-request-id')!;
  const entry = functionErrors(te).find((l) => l.requestId === id);
  assert.ok(entry, `a function-error entry for ${id}`);
  assert.equal(entry.errorCode, code);
  assert.match(String(entry.msg), reason);
  const line = await accessLine(te, id);
  assert.equal(line['x-edge-result-type'], cls);
  assert.match(String(line['x-edge-error']), new RegExp(`^${code}: `));
  assert.match(String(line['x-edge-error']), reason);
}

describe('function error classes (spec 5.1)', () => {
  test('a throw is 503 LambdaExecutionError with the error message', async () => {
    await expectError(
      await te.get('/throw'),
      503,
      'LambdaExecutionError',
      'LAMBDA_EXECUTION_ERROR',
      /boom from the function/,
    );
  });
  test('a timeout (timeoutMs override) is 503 LambdaExecutionError', async () => {
    await expectError(
      await te.get('/timeout'),
      503,
      'LambdaExecutionError',
      'LAMBDA_EXECUTION_ERROR',
      /Task timed out after 0\.20 seconds/,
    );
  });
  test('an invalid result is 502 LambdaValidationError', async () => {
    await expectError(
      await te.get('/invalid'),
      502,
      'LambdaValidationError',
      'LAMBDA_VALIDATION_ERROR',
      /The JSON output must be an object type/,
    );
  });
  test('changing a read-only header is 502 LambdaValidationError', async () => {
    await expectError(
      await te.get('/read-only'),
      502,
      'LambdaValidationError',
      'LAMBDA_VALIDATION_ERROR',
      /tried to change read-only header, headerName : host/i,
    );
  });
  test('a CloudFront Function that throws is 503 FunctionExecutionError', async () => {
    await expectError(await te.get('/cff'), 503, 'FunctionExecutionError', 'FUNCTION_EXECUTION_ERROR', /cff says no/);
  });
  test('requests past the concurrency limit are 503 LambdaLimitExceeded', async () => {
    const rs = await Promise.all([te.get('/busy'), te.get('/busy'), te.get('/busy')]);
    const ok = rs.filter((r) => r.status === 200);
    const throttled = rs.filter((r) => r.status === 503);
    assert.ok(ok.length >= 1, 'the first request ran');
    assert.ok(throttled.length >= 1, `some were throttled: ${rs.map((r) => r.status).join(',')}`);
    for (const r of throttled)
      await expectError(r, 503, 'LambdaLimitExceeded', 'LAMBDA_LIMIT_EXCEEDED', /Rate Exceeded/);
  });
});

describe('hostile function', () => {
  test('while(true){} times out while other behaviors keep serving; the next call is served too', async () => {
    const hostile = te.get('/hostile');
    const others: TestResponse[] = [];
    for (let i = 0; i < 5; i++) others.push(await te.get(`/static/${i}`));
    assert.deepEqual(
      others.map((r) => r.status),
      [200, 200, 200, 200, 200],
    );
    await expectError(await hostile, 503, 'LambdaExecutionError', 'LAMBDA_EXECUTION_ERROR', /timed out/i);
    // The broken isolate was replaced: the function is invoked (and contained) again.
    await expectError(await te.get('/hostile'), 503, 'LambdaExecutionError', 'LAMBDA_EXECUTION_ERROR', /timed out/i);
    assert.equal((await te.get('/static/after')).status, 200);
  });
});
