/**
 * @module test/scenarios/functions-lifecycle.test
 * Functions at every hook point through a real edge and scripted origins: every completion
 * form (spec 2.2), every event type (viewer-request rewrite, origin-request header + origin
 * change, origin-response header + body replacement, viewer-response header), IncludeBody read
 * and replace (1.9), generated responses cached or not per event (2.4), and handler forms (ES
 * module, TypeScript, env vars).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { xCache } from './functions-kit.js';

let origin: ScriptedOrigin;
let origin2: ScriptedOrigin;
let te: TestEdge;

const req = `const r = event.Records[0].cf.request;`;
const mark = (v: string) => `r.headers['x-form'] = [{ key: 'X-Form', value: '${v}' }];`;
const FILES: Record<string, string> = {
  'fn/async.js': `exports.handler = async (event) => { ${req} ${mark('async')} return r; };`,
  'fn/promise.js': `exports.handler = (event) => new Promise((resolve) => setTimeout(() => { ${req} ${mark('promise')} resolve(r); }, 5));`,
  'fn/callback.js': `exports.handler = (event, context, callback) => { ${req} ${mark('callback')} setTimeout(() => callback(null, r), 5); };`,
  'fn/succeed.js': `exports.handler = (event, context) => { ${req} ${mark('succeed')} context.succeed(r); };`,
  'fn/done.js': `exports.handler = (event, context) => { ${req} ${mark('done')} context.done(null, r); };`,
  'fn/fail.js': `exports.handler = (event, context) => { context.fail(new Error('failed on purpose')); };`,
  'fn/rewrite.js': `exports.handler = async (event) => { ${req} r.uri = '/vr/rewritten'; return r; };`,
  'fn/origin-change.js': `exports.handler = async (event) => { ${req}
    r.headers['x-added'] = [{ key: 'X-Added', value: 'at-origin-request' }];
    r.origin = { custom: { ...r.origin.custom, domainName: '127.0.0.1', port: Number(process.env.ORIGIN2_PORT), protocol: 'http' } };
    return r; };`,
  'fn/origin-response.js': `exports.handler = async (event) => { const res = event.Records[0].cf.response;
    res.headers['x-origin-status'] = [{ key: 'X-Origin-Status', value: res.status }];
    res.headers['content-type'] = [{ key: 'Content-Type', value: 'text/plain' }];
    res.body = 'replaced by origin-response'; return res; };`,
  'fn/viewer-response.js': `exports.handler = async (event) => { const res = event.Records[0].cf.response;
    res.headers['x-viewer-response'] = [{ key: 'X-Viewer-Response', value: 'yes ' + event.Records[0].cf.request.uri }]; return res; };`,
  'fn/body.js': `exports.handler = async (event) => { ${req}
    const text = Buffer.from(r.body.data, 'base64').toString('utf8');
    console.log('body was ' + text + ' truncated=' + r.body.inputTruncated);
    r.body.action = 'replace'; r.body.encoding = 'text'; r.body.data = 'replaced:' + text.toUpperCase();
    return r; };`,
  'fn/gen-viewer.js': `let n = 0; exports.handler = async () => ({ status: '200', headers: { 'content-type': [{ value: 'text/plain' }], 'cache-control': [{ value: 'max-age=300' }] }, body: 'generated at viewer-request #' + (++n) });`,
  'fn/gen-origin.js': `let n = 0; exports.handler = async () => ({ status: '200', statusDescription: 'OK', headers: { 'content-type': [{ value: 'text/plain' }], 'cache-control': [{ value: 'max-age=300' }] }, body: 'generated at origin-request #' + (++n) });`,
  'fn/esm.mjs': `export const handler = async (event) => { ${req} ${mark('esm')} return r; };`,
  'fn/typed.ts': `interface Ev { Records: Array<{ cf: { request: { uri: string; headers: Record<string, Array<{ key?: string; value: string }>> } } }> }
    export const handler = async (event: Ev) => { const r = event.Records[0].cf.request; const v: string = 'typescript'; r.headers['x-form'] = [{ value: v }]; return r; };`,
  'fn/env.js': `exports.handler = async (event) => { ${req} console.log('token is ' + process.env.API_TOKEN); r.headers['x-greeting'] = [{ value: process.env.GREETING }]; return r; };`,
};

function behavior(pathPattern: string, assocs: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return {
    pathPattern,
    targetOriginId: 'o1',
    cachePolicy: 'CachingDisabled',
    originRequestPolicy: 'AllViewer',
    allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
    functionAssociations: assocs,
    ...extra,
  };
}
const vr = (path: string, extra: Record<string, unknown> = {}) => ({
  eventType: 'viewer-request',
  function: `./${path}`,
  ...extra,
});

before(async () => {
  const echo =
    (name: string) => (r: { url: string; headers: Record<string, unknown>; body: Buffer; method: string }) => ({
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60', server: name },
      body: JSON.stringify({
        origin: name,
        url: r.url,
        method: r.method,
        headers: r.headers,
        body: r.body.toString('utf8'),
      }),
    });
  origin = await startOrigin({ '*': echo('origin1') });
  origin2 = await startOrigin({ '*': echo('origin2') });
  const forms = ['async', 'promise', 'callback', 'succeed', 'done', 'fail'].map((f) =>
    behavior(`/form/${f}`, [vr(`fn/${f}.js`)]),
  );
  te = await startTestEdge({
    configs: [
      distribution(origin.port, {
        cacheBehaviors: [
          ...forms,
          behavior('/vr/*', [vr('fn/rewrite.js')]),
          behavior('/or/*', [
            {
              eventType: 'origin-request',
              // origin2 is on loopback and not one of the distribution's origins: the function may
              // point there only because its egress policy allows it (contain-origin-egress).
              function: {
                path: './fn/origin-change.js',
                env: { ORIGIN2_PORT: String(origin2.port) },
                egress: { allow: [`127.0.0.1:${origin2.port}`] },
              },
            },
          ]),
          behavior('/ors/*', [{ eventType: 'origin-response', function: './fn/origin-response.js' }], {
            cachePolicy: 'CachingOptimized',
          }),
          behavior('/vres/*', [{ eventType: 'viewer-response', function: './fn/viewer-response.js' }]),
          behavior('/body/*', [vr('fn/body.js', { includeBody: true })]),
          behavior('/gen-viewer/*', [vr('fn/gen-viewer.js')], { cachePolicy: 'CachingOptimized' }),
          behavior('/gen-origin/*', [{ eventType: 'origin-request', function: './fn/gen-origin.js' }], {
            cachePolicy: 'CachingOptimized',
          }),
          behavior('/esm/*', [vr('fn/esm.mjs')]),
          behavior('/ts/*', [vr('fn/typed.ts')]),
          behavior('/env/*', [
            {
              eventType: 'viewer-request',
              function: {
                path: './fn/env.js',
                env: { GREETING: 'hello from env', API_TOKEN: 's3cr3t-value' },
                secretNames: ['API_TOKEN'],
              },
            },
          ]),
        ],
      }),
    ],
    files: FILES,
  });
});
after(async () => {
  await te?.close();
  await origin?.close();
  await origin2?.close();
});

const json = (text: string) =>
  JSON.parse(text) as { origin: string; url: string; headers: Record<string, string>; body: string; method: string };

describe('completion forms (spec 2.2)', () => {
  for (const form of ['async', 'promise', 'callback', 'succeed', 'done']) {
    test(`${form}: the request continues with the function's change`, async () => {
      const r = await te.get(`/form/${form}`);
      assert.equal(r.status, 200);
      assert.equal(json(r.text).headers['x-form'], form);
    });
  }
  test('context.fail: 503 LambdaExecutionError, origin not asked', async () => {
    const before = origin.count('/form/fail');
    const r = await te.get('/form/fail');
    assert.equal(r.status, 503);
    assert.equal(xCache(r), 'LambdaExecutionError');
    assert.equal(origin.count('/form/fail'), before);
  });
});

describe('event types', () => {
  test('viewer-request rewrites the URI the origin is asked for', async () => {
    assert.equal(json((await te.get('/vr/original?q=1')).text).url, '/vr/rewritten?q=1');
  });
  test('origin-request adds a header and switches the origin', async () => {
    const n1 = origin.count();
    const body = json((await te.get('/or/thing')).text);
    assert.equal(body.origin, 'origin2');
    assert.equal(body.headers['x-added'], 'at-origin-request');
    assert.equal(origin.count(), n1, 'the configured origin was not asked');
  });
  test('origin-response adds a header and replaces the body; the result is cached', async () => {
    const r1 = await te.get('/ors/page');
    const r2 = await te.get('/ors/page');
    for (const r of [r1, r2]) {
      assert.equal(r.text, 'replaced by origin-response');
      assert.equal(r.header('x-origin-status'), '200');
      assert.equal(r.header('content-length'), String('replaced by origin-response'.length));
    }
    assert.deepEqual([xCache(r1), xCache(r2)], ['Miss', 'Hit']);
    assert.equal(origin.count('/ors/page'), 1);
  });
  test('viewer-response adds a header, on misses and hits', async () => {
    const r = await te.get('/vres/a');
    assert.equal(r.header('x-viewer-response'), 'yes /vres/a');
    assert.equal(json(r.text).origin, 'origin1');
  });
});

describe('IncludeBody (spec 1.9)', () => {
  test('the function reads the body and replaces what the origin receives', async () => {
    const r = await te.request('/body/form', {
      method: 'POST',
      body: 'name=alice',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(r.status, 200);
    const seen = json(r.text);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.body, 'replaced:NAME=ALICE');
    assert.equal(seen.headers['content-length'], String('replaced:NAME=ALICE'.length));
    const logged = te.logs.lines.filter((l) => l.type === 'function-log').map((l) => l.msg);
    assert.ok(logged.includes('body was name=alice truncated=false'), JSON.stringify(logged));
  });
});

describe('generated responses (spec 2.4)', () => {
  test('at viewer-request: not cached, the function runs every time, the origin is never asked', async () => {
    const r1 = await te.get('/gen-viewer/x');
    const r2 = await te.get('/gen-viewer/x');
    assert.equal(r1.text, 'generated at viewer-request #1');
    assert.equal(r2.text, 'generated at viewer-request #2');
    assert.deepEqual([xCache(r1), xCache(r2)], ['LambdaGeneratedResponse', 'LambdaGeneratedResponse']);
    assert.equal(origin.count('/gen-viewer/x'), 0);
  });
  test('at origin-request: cached under the key, the function runs once', async () => {
    const r1 = await te.get('/gen-origin/y');
    const r2 = await te.get('/gen-origin/y');
    assert.equal(r1.text, 'generated at origin-request #1');
    assert.equal(r2.text, 'generated at origin-request #1');
    assert.equal(xCache(r2), 'Hit');
    assert.equal(origin.count('/gen-origin/y'), 0);
  });
});

describe('handler forms and environment', () => {
  test('an ES module handler (.mjs)', async () => {
    assert.equal(json((await te.get('/esm/a')).text).headers['x-form'], 'esm');
  });
  test('a TypeScript handler (.ts), compiled when loaded', async () => {
    assert.equal(json((await te.get('/ts/a')).text).headers['x-form'], 'typescript');
  });
  test('env vars reach process.env; secret values are redacted from the logs', async () => {
    assert.equal(json((await te.get('/env/a')).text).headers['x-greeting'], 'hello from env');
    const logged = te.logs.lines
      .filter((l) => l.type === 'function-log' && l.functionName === 'env')
      .map((l) => String(l.msg));
    assert.ok(logged.includes('token is ***'), JSON.stringify(logged));
    assert.ok(!JSON.stringify(te.logs.lines).includes('s3cr3t-value'));
  });
});
