/**
 * @module edge/functions/function-host.test
 * The function host through a real edge, on the synchronous path a warm function takes (it
 * returns its result without a promise): completion rules still hold (first completion wins,
 * a later continuation that runs past the timeout is an execution error), the request trace
 * names the header changes, and the per-invocation metrics count by outcome with cached labels.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { distribution, startTestEdge, type TestEdge } from '../../../test/harness/edge.js';
import { startOrigin, type ScriptedOrigin } from '../../../test/harness/origin.js';

let origin: ScriptedOrigin;
let te: TestEdge;

const FILES: Record<string, string> = {
  // Completes twice in the same synchronous run: the first (x-first) must win.
  'fn/twice.js': `exports.handler = (event, context, callback) => {
    const r = event.Records[0].cf.request;
    r.headers['x-added'] = [{ key: 'X-Added', value: 'first' }];
    callback(null, r);
    callback(null, { status: '500' });
    context.succeed({ status: '501' });
  };`,
  // Mutates the result after the callback, in a microtask: the event loop drains first (spec 2.2 item 3).
  'fn/late.js': `exports.handler = (event, context, callback) => {
    const r = event.Records[0].cf.request;
    callback(null, r);
    Promise.resolve().then(() => { r.headers['x-late'] = [{ key: 'X-Late', value: 'yes' }]; });
  };`,
  // Synchronous start, completion in a timer past the timeout.
  'fn/slow.js': `exports.handler = (event, context, callback) => {
    setTimeout(() => callback(null, event.Records[0].cf.request), 2000);
  };`,
  // An SEO rewrite: the trace shows the URI and query string it changed.
  'fn/rewrite.js': `exports.handler = async (event) => {
    const r = event.Records[0].cf.request;
    r.uri = '/products/landing-b';
    r.querystring = 'v=b';
    return r;
  };`,
  // An origin-response function that turns the answer into a 410: the trace shows the status.
  'fn/gone.js': `exports.handler = async (event) => {
    const res = event.Records[0].cf.response;
    res.status = '410';
    res.statusDescription = 'Gone';
    return res;
  };`,
  'fn/throws.js': `exports.handler = async (event) => { if (event.Records[0].cf.request.uri === '/m/bad') throw new Error('no'); return event.Records[0].cf.request; };`,
};

function behavior(pathPattern: string, fn: string | Record<string, unknown>) {
  return {
    pathPattern,
    targetOriginId: 'o1',
    cachePolicy: 'CachingOptimized',
    functionAssociations: [{ eventType: 'viewer-request', function: fn }],
  };
}

before(async () => {
  origin = await startOrigin({ '*': { status: 200, headers: { 'cache-control': 'max-age=60' }, body: 'from origin' } });
  te = await startTestEdge({
    configs: [
      distribution(origin.port, {
        cacheBehaviors: [
          behavior('/twice*', './fn/twice.js'),
          behavior('/landing*', './fn/rewrite.js'),
          {
            pathPattern: '/gone*',
            targetOriginId: 'o1',
            cachePolicy: 'CachingOptimized',
            functionAssociations: [{ eventType: 'origin-response', function: './fn/gone.js' }],
          },
          behavior('/late*', './fn/late.js'),
          behavior('/slow*', { path: './fn/slow.js', timeoutMs: 200 }),
          behavior('/m/*', './fn/throws.js'),
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

async function functionsOf(requestId: string): Promise<Array<Record<string, unknown>>> {
  for (let i = 0; i < 100; i++) {
    const line = te.accessLog.find((l) => l['x-edge-request-id'] === requestId);
    if (line) return line.functions as Array<Record<string, unknown>>;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no access-log line for ${requestId}`);
}

test('the first completion wins on the synchronous path, and the trace names the header it added', async () => {
  for (let i = 0; i < 3; i++) {
    const res = await te.get(`/twice/${i}`);
    assert.equal(res.status, 200, res.text);
    const runs = await functionsOf(res.header('x-verge-request-id')!);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.ok, true);
    assert.deepEqual(runs[0]!.headerChanges, { 'x-added': 'first' });
  }
  const warnings = te.logs.lines.filter(
    (l) => l.type === 'function-log' && /already been reported/.test(String(l.msg)),
  );
  assert.ok(warnings.length >= 3, 'the later completions are logged as ignored');
});

test('the trace names the URI, query string and status a function changed, and only those', async () => {
  const rewritten = await te.get('/landing');
  assert.equal(rewritten.status, 200, rewritten.text);
  const [run] = await functionsOf(rewritten.header('x-verge-request-id')!);
  assert.deepEqual(run!.uri, { from: '/landing', to: '/products/landing-b' });
  assert.deepEqual(run!.querystring, { from: '', to: 'v=b' });
  assert.equal(run!.status, undefined);
  assert.deepEqual(run!.headerChanges, {});
  // CachingOptimized forwards no query string to the origin (as on CloudFront); the URI is the new one.
  assert.equal(origin.requests.at(-1)!.url, '/products/landing-b');

  const gone = await te.get('/gone/1');
  assert.equal(gone.status, 410);
  const [g] = await functionsOf(gone.header('x-verge-request-id')!);
  assert.deepEqual(g!.status, { from: '200', to: '410' });
  assert.equal(g!.uri, undefined);
});

test('a callback waits for the microtasks queued after it before its result is taken', async () => {
  const res = await te.get('/late/1');
  assert.equal(res.status, 200, res.text);
  const runs = await functionsOf(res.header('x-verge-request-id')!);
  assert.deepEqual(runs[0]!.headerChanges, { 'x-late': 'yes' });
});

test('a synchronous start whose completion comes after the timeout is an execution error', async () => {
  const res = await te.get('/slow/1');
  assert.equal(res.status, 503);
  assert.match(String(res.header('x-cache')), /LambdaExecutionError/);
  const errors = te.logs.lines.filter((l) => l.type === 'function-error' && l.functionName === 'slow');
  assert.match(String(errors.at(-1)?.msg), /Task timed out after 0\.20 seconds/);
});

test('invocations are counted per outcome and timed per function version and event', async () => {
  for (const path of ['/m/a', '/m/b', '/m/bad']) await te.get(path);
  const stats = te.edge.stats;
  const labels = { function: 'throws', version: '$LATEST', event: 'viewer-request' };
  assert.equal(stats.functionInvocations.get({ ...labels, outcome: 'ok' }), 2);
  assert.equal(stats.functionInvocations.get({ ...labels, outcome: 'LAMBDA_EXECUTION_ERROR' }), 1);
  const hist = [...stats.functionDuration.entries()].find(([k]) => k.includes('function="throws"'));
  assert.equal(hist?.[1].count, 3);
  const text = stats.render();
  assert.match(
    text,
    /verge_function_invocations_total\{event="viewer-request",function="throws",outcome="ok",version="\$LATEST"\} 2/,
  );
  assert.match(
    text,
    /verge_function_duration_seconds_count\{event="viewer-request",function="throws",version="\$LATEST"\} 3/,
  );
});
