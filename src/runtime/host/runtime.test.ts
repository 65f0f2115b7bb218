/**
 * @module runtime/host/runtime.test
 * The FunctionRuntime through its interface, on real isolates: every completion form of
 * spec 2.2, the context object (2.3), execution errors with their messages, env vars and
 * secret redaction, handler module forms (CJS, ESM, .mjs, TypeScript, zip with node_modules),
 * forbidden modules, and warm-instance state.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { zipSync, strToU8 } from 'fflate';
import { FakeClock } from '../../shared/clock.js';
import { createFunctionRuntime, nullRuntime } from './index.js';
import { sampleEvent } from './test-events.js';
import type { CfRequest, CfResponse, EventType, FunctionSource, InvokeResult } from '../../shared/lambda-edge/index.js';

// A fake clock: a context's remaining time is read on it, so it is exact under any load.
const clock = new FakeClock();
const rt = createFunctionRuntime({ clock });
after(() => rt.close());

let seq = 0;
async function load(
  files: Record<string, string | Uint8Array>,
  extra: Partial<FunctionSource> = {},
  eventTypes: EventType[] = ['viewer-request'],
) {
  seq++;
  return rt.load(
    {
      id: `t${seq}`,
      name: `fn${seq}`,
      version: '3',
      runtime: 'nodejs',
      handler: 'index.handler',
      code: { files },
      ...extra,
    },
    { eventTypes },
  );
}
async function run(
  code: string,
  extra: Partial<FunctionSource> = {},
  eventType: EventType = 'viewer-request',
): Promise<InvokeResult> {
  const fn = await load({ 'index.js': code }, extra, [eventType]);
  return rt.invoke(fn, { eventType, event: sampleEvent(eventType) });
}
function okRequest(r: InvokeResult): CfRequest {
  assert.equal(r.ok, true, r.ok ? '' : `${r.code}: ${r.message}`);
  assert.ok(r.ok && r.kind === 'request');
  return r.value as CfRequest;
}
function failure(r: InvokeResult): { code: string; message: string } {
  assert.equal(r.ok, false, 'expected a failure');
  return r.ok ? { code: '', message: '' } : { code: r.code, message: r.message };
}
const messages = (r: InvokeResult) => r.logs.map((l) => l.message);

describe('completion forms (spec 2.2)', () => {
  test('callback(null, request) continues with the request', async () => {
    const req = okRequest(
      await run(`exports.handler = (e, c, cb) => { const r = e.Records[0].cf.request; r.uri = '/cb'; cb(null, r); };`),
    );
    assert.equal(req.uri, '/cb');
  });

  test('an async handler resolves with a generated response', async () => {
    const r = await run(
      `exports.handler = async () => ({ status: 302, headers: { location: [{ value: 'https://x.test/' }] } });`,
    );
    assert.ok(r.ok && r.kind === 'response');
    const res = r.value as CfResponse;
    assert.equal(res.status, '302');
    assert.deepEqual(res.headers.location, [{ key: 'Location', value: 'https://x.test/' }]);
  });

  test('a returned promise (non-async function) completes the invocation', async () => {
    const req = okRequest(
      await run(`exports.handler = (e) => new Promise((res) => setTimeout(() => res(e.Records[0].cf.request), 5));`),
    );
    assert.equal(req.uri, '/index.html');
  });

  test('context.succeed, context.done and context.fail', async () => {
    assert.equal(
      okRequest(await run(`exports.handler = (e, c) => c.succeed(e.Records[0].cf.request);`)).uri,
      '/index.html',
    );
    assert.equal(
      okRequest(await run(`exports.handler = (e, c) => c.done(null, e.Records[0].cf.request);`)).uri,
      '/index.html',
    );
    const f = failure(await run(`exports.handler = (e, c) => c.fail(new Error('nope'));`));
    assert.equal(f.code, 'LAMBDA_EXECUTION_ERROR');
    assert.match(f.message, /^Error: nope/);
    assert.equal(failure(await run(`exports.handler = (e, c) => c.fail();`)).message, 'handled');
  });

  test('the first completion wins; later ones are logged', async () => {
    const r = await run(
      `exports.handler = (e, c, cb) => { cb(null, e.Records[0].cf.request); cb(new Error('late')); c.succeed({ status: 500 }); };`,
    );
    okRequest(r);
    const late = messages(r).filter((m) => m.startsWith('Invocation has already been reported as done'));
    assert.equal(late.length, 2);
  });

  test('a synchronous throw is an execution error with the stack, mapped to the source lines', async () => {
    const f = failure(await run(`exports.handler = () => {\n  throw new Error('boom');\n};`));
    assert.equal(f.code, 'LAMBDA_EXECUTION_ERROR');
    assert.equal(f.message, 'Error: boom\n    at exports.handler (index.js:2:9)');
    const fn = await load({
      'index.mjs': `import { f } from './lib/deep.mjs';\nexport const handler = async () => {\n  return f();\n};`,
      'lib/deep.mjs': `export function f() {\n  throw new TypeError('deep');\n}`,
    });
    const r = failure(await rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') }));
    assert.equal(r.message, 'TypeError: deep\n    at f (lib/deep.mjs:2:9)\n    at handler (index.mjs:3:10)');
  });

  test('a rejection and callback(err) are execution errors', async () => {
    assert.match(
      failure(await run(`exports.handler = async () => { throw new TypeError('bad'); };`)).message,
      /^TypeError: bad/,
    );
    assert.equal(failure(await run(`exports.handler = (e, c, cb) => cb('plain string');`)).message, 'plain string');
  });

  test('a non-async handler returning a value without the callback yields null → 502 (spec 2.2 item 7)', async () => {
    const f = failure(await run(`exports.handler = (e, c) => e.Records[0].cf.request;`));
    assert.equal(f.code, 'LAMBDA_VALIDATION_ERROR');
    assert.equal(f.message, 'The Lambda function returned invalid JSON: The JSON output must be an object type.');
  });

  test('an async handler whose promise never settles is an execution error (spec 2.2 item 8)', async () => {
    const f = failure(await run(`exports.handler = async () => { await new Promise(() => {}); };`));
    assert.equal(f.code, 'LAMBDA_EXECUTION_ERROR');
    assert.match(f.message, /Runtime\.NodeJsExit: .*never settled/);
  });

  test('callbackWaitsForEmptyEventLoop defers completion until timers drain', async () => {
    const code = (waits: boolean) => `
      let fired = 0;
      exports.handler = (e, c, cb) => {
        c.callbackWaitsForEmptyEventLoop = ${waits};
        setTimeout(() => { fired++; console.log('timer fired', fired); }, 30);
        cb(null, e.Records[0].cf.request);
      };`;
    const waiting = await run(code(true));
    okRequest(waiting);
    assert.deepEqual(messages(waiting), ['timer fired 1']);
    const immediate = await run(code(false));
    okRequest(immediate);
    assert.deepEqual(messages(immediate), []);
  });

  test('the result is a JSON round trip (spec 5.3 item 1)', async () => {
    const r = await run(
      `exports.handler = async () => ({ status: '200', headers: {}, body: 'x', extra: undefined, toJSON() { return { status: '201', headers: {} }; } });`,
    );
    assert.ok(r.ok && r.kind === 'response');
    assert.equal((r.value as CfResponse).status, '201');
    const circular = failure(
      await run(`exports.handler = async () => { const o = { status: '200' }; o.self = o; return o; };`),
    );
    assert.equal(circular.message, 'The Lambda function returned invalid JSON: The json output is not parsable.');
  });
});

describe('context (spec 2.3)', () => {
  test('fields, types and getRemainingTimeInMillis', async () => {
    const r = await run(`exports.handler = async (e, c) => ({ status: 200, headers: {}, body: JSON.stringify({
      functionName: c.functionName, functionVersion: c.functionVersion, arn: c.invokedFunctionArn,
      mem: c.memoryLimitInMB, id: c.awsRequestId, group: c.logGroupName, stream: c.logStreamName,
      remaining: c.getRemainingTimeInMillis(), waits: c.callbackWaitsForEmptyEventLoop,
      identity: c.identity === undefined, clientContext: c.clientContext === undefined }) });`);
    assert.ok(r.ok);
    const c = JSON.parse((r.value as CfResponse).body!);
    assert.match(c.functionName, /^us-east-1\.fn\d+$/);
    assert.equal(c.functionVersion, '3');
    assert.equal(c.arn, `arn:aws:lambda:us-east-1:000000000000:function:${c.functionName}:3`);
    assert.equal(c.mem, '128');
    assert.match(c.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(c.group, `/aws/lambda/${c.functionName}`);
    assert.match(c.stream, /^\d{4}\/\d{2}\/\d{2}\/\[3\][0-9a-f]{32}$/);
    assert.equal(c.remaining, 5000, 'the viewer-request timeout, none of it used on the fake clock');
    assert.equal(c.waits, true);
    assert.equal(c.identity, true);
    assert.equal(c.clientContext, true);
  });

  test('awsRequestId differs per invocation; console lines carry config.requestId', async () => {
    const fn = await load({
      'index.js': `exports.handler = async (e, c) => { console.log(c.awsRequestId); return e.Records[0].cf.request; };`,
    });
    const a = await rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') });
    const b = await rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') });
    assert.notEqual(a.logs[0]!.message, b.logs[0]!.message);
    assert.equal(a.logs[0]!.requestId, sampleEvent('viewer-request').Records[0].cf.config.requestId);
  });
});

describe('environment', () => {
  test('env vars are process.env, and secret values are redacted from every log line', async () => {
    const r = await run(
      `exports.handler = async (e) => { console.log('key=%s region=%s', process.env.API_KEY, process.env.AWS_REGION); console.error(new Error('leak ' + process.env.API_KEY)); return e.Records[0].cf.request; };`,
      { env: { API_KEY: 'sk-live-123456', PLAIN: 'p' }, secretNames: ['API_KEY'] },
    );
    okRequest(r);
    assert.equal(r.logs[0]!.message, 'key=*** region=us-east-1');
    assert.match(r.logs[1]!.message, /^Error: leak \*\*\*/);
    assert.equal(r.logs[1]!.level, 'error');
    assert.ok(!JSON.stringify(r.logs).includes('sk-live-123456'));
  });

  test('a secret in an execution error message is redacted too', async () => {
    const f = failure(
      await run(`exports.handler = async () => { throw new Error(process.env.TOKEN); };`, {
        env: { TOKEN: 'hunter22' },
        secretNames: ['TOKEN'],
      }),
    );
    assert.match(f.message, /^Error: \*\*\*/);
  });
});

describe('modules and packages', () => {
  test('ESM handler (export const handler) in a .mjs file', async () => {
    const fn = await load({
      'index.mjs': `import { tag } from './lib.mjs'; export const handler = async (e) => { const r = e.Records[0].cf.request; r.headers['x-tag'] = [{ value: tag }]; return r; };`,
      'lib.mjs': `export const tag = 'esm';`,
    });
    const req = okRequest(await rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') }));
    assert.deepEqual(req.headers['x-tag'], [{ key: 'X-Tag', value: 'esm' }]);
  });

  test('"type": "module" package with index.js and a nested handler path', async () => {
    const fn = await load(
      {
        'package.json': '{"type":"module"}',
        'src/app.js': `export const api = { handler: async (e) => ({ status: '204', headers: {} }) };`,
      },
      { handler: 'src/app.api.handler' },
    );
    const r = await rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') });
    assert.ok(r.ok && (r.value as CfResponse).status === '204');
  });

  test('TypeScript handler compiled at load', async () => {
    const fn = await load({
      'index.ts': `interface R { uri: string }\nexport const handler = async (e: any): Promise<R> => { const r = e.Records[0].cf.request as R; r.uri = '/ts'; return r; };`,
    });
    assert.equal(
      okRequest(await rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') })).uri,
      '/ts',
    );
  });

  test('zip package with a dependency in node_modules', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'verge-zip-test-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const zip = zipSync({
      'index.js': strToU8(
        `const slug = require('slugify'); const data = require('./data.json'); exports.handler = (e, c, cb) => { const r = e.Records[0].cf.request; r.uri = '/' + slug(data.title); cb(null, r); };`,
      ),
      'data.json': strToU8('{"title":"Hello Big World"}'),
      'node_modules/slugify/package.json': strToU8('{"name":"slugify","main":"lib/main.js"}'),
      'node_modules/slugify/lib/main.js': strToU8(`module.exports = (s) => s.toLowerCase().split(' ').join('-');`),
    });
    const path = join(dir, 'fn.zip');
    await writeFile(path, zip);
    seq++;
    const fn = await rt.load(
      { id: path, name: 'zipped', version: '1', runtime: 'nodejs', handler: 'index.handler', code: { path } },
      { eventTypes: ['origin-request'] },
    );
    assert.equal(fn.packageBytes, zip.byteLength);
    const req = okRequest(await rt.invoke(fn, { eventType: 'origin-request', event: sampleEvent('origin-request') }));
    assert.equal(req.uri, '/hello-big-world');
  });

  test('a single-file package on disk, handler module name ignored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'verge-file-test-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'auth.js');
    await writeFile(path, `exports.handler = async () => ({ status: '401', headers: {} });`);
    const fn = await rt.load(
      { id: path, name: 'auth', version: '$LATEST', runtime: 'nodejs', handler: 'index.handler', code: { path } },
      { eventTypes: ['viewer-request'] },
    );
    const r = await rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') });
    assert.ok(r.ok && (r.value as CfResponse).status === '401');
  });

  test('require of a forbidden module names it; optional requires can be caught', async () => {
    await assert.rejects(
      load({ 'index.js': `const fs = require('fs'); exports.handler = async () => ({});` }),
      /Cannot find module 'fs': it is not available in Verge functions \(allowed: /,
    );
    const r = await run(
      `let cp; try { require('child_process'); } catch (e) { cp = e.code + ' ' + e.message; } exports.handler = async () => ({ status: 200, headers: {}, body: cp });`,
    );
    assert.ok(r.ok);
    assert.match(
      (r.value as CfResponse).body!,
      /^MODULE_NOT_FOUND Cannot find module 'child_process': it is not available/,
    );
    const missing = await run(`exports.handler = async () => { require('aws-sdk'); };`);
    assert.match(failure(missing).message, /Cannot find module 'aws-sdk'/);
  });

  test('module globals persist across invocations of a warm instance', async () => {
    const fn = await load({
      'index.js': `let count = 0; exports.handler = async (e) => ({ status: 200, headers: {}, body: String(++count) });`,
    });
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') });
      assert.ok(r.ok);
      bodies.push((r.value as CfResponse).body!);
      assert.equal(r.coldStart, false, 'the pre-warmed instance serves the first invocations');
    }
    assert.deepEqual(bodies, ['1', '2', '3']);
  });

  test('a module that throws at load fails the load with the error', async () => {
    await assert.rejects(
      load({ 'index.js': `throw new Error('init failed');` }),
      (e: Error & { code?: string }) => e.code === 'FUNCTION_LOAD_ERROR' && /init failed/.test(e.message),
    );
    await assert.rejects(
      load({ 'index.js': `exports.other = 1;` }),
      /Runtime\.HandlerNotFound: index\.handler is undefined or not exported/,
    );
    await assert.rejects(
      load({ 'index.js': `exports.handler = (;` }),
      /Could not compile the function: .*index\.js:1:/,
    );
  });

  test('a module whose top level outgrows the synchronous slice still loads (off the main thread)', async () => {
    const fn = await load({
      'index.js': `const t = Date.now(); while (Date.now() - t < 120) {} exports.handler = async () => ({ status: 200, headers: {}, body: 'slow init' });`,
    });
    const r = await rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') });
    assert.ok(r.ok && (r.value as CfResponse).body === 'slow init');
  });

  test('builtins load lazily through require and globals (querystring, Buffer, URL)', async () => {
    const r = await run(`const qs = require('node:querystring');
      exports.handler = async (e) => ({ status: 200, headers: {}, body: JSON.stringify({
        q: qs.parse(e.Records[0].cf.request.querystring), b64: Buffer.from('a=1').toString('base64'),
        host: new URL('https://example.net:8443/p?x=1').port }) });`);
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.deepEqual(JSON.parse((r.value as CfResponse).body!), {
      q: { lang: 'en', tag: ['red', 'blue'] },
      b64: 'YT0x',
      host: '8443',
    });
  });

  test('the null runtime loads nothing (Python has its own tests in src/runtime/python)', async () => {
    await assert.rejects(nullRuntime.load({} as FunctionSource, { eventTypes: [] }), /no function runtime configured/);
  });
});

describe('host calls (fetch, http)', () => {
  const server = createServer((req, res) => {
    if (req.url === '/advance') clock.advance(1234); // the call took 1.234 s on the runtime's clock
    setTimeout(() => res.end(`hello ${req.url}`), 20);
  });
  // The test origin is on loopback, which the egress policy refuses unless the function allows it.
  const loopback = { egress: { allow: ['127.0.0.1'] } };
  const ready = new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('an async handler awaiting fetch against a local server', async () => {
    const port = await ready;
    const r = await run(
      `exports.handler = async () => { const res = await fetch('http://127.0.0.1:${port}/f'); return { status: res.status, headers: {}, body: await res.text() }; };`,
      loopback,
    );
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.equal((r.value as CfResponse).body, 'hello /f');
  });

  test('getRemainingTimeInMillis counts down on the runtime clock while the handler waits', async () => {
    const port = await ready;
    const r = await run(
      `exports.handler = async (e, c) => { const before = c.getRemainingTimeInMillis();
        await fetch('http://127.0.0.1:${port}/advance');
        return { status: 200, headers: {}, body: JSON.stringify([before, c.getRemainingTimeInMillis()]) }; };`,
      loopback,
    );
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.deepEqual(JSON.parse((r.value as CfResponse).body!), [5000, 3766]);
  });

  test('a callback handler using http.get: the pending request keeps the invocation open', async () => {
    const port = await ready;
    const r = await run(
      `const http = require('http');
      let body = '';
      exports.handler = (e, c, cb) => {
        http.get('http://127.0.0.1:${port}/cb', (res) => { res.setEncoding('utf8'); res.on('data', (d) => { body += d; }); res.on('end', () => console.log('got', body)); });
        cb(null, { status: 200, headers: {} });
      };`,
      loopback,
    );
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.deepEqual(messages(r), ['got hello /cb'], 'callbackWaitsForEmptyEventLoop waited for the request');
  });
});

describe('limits', () => {
  test('concurrency: past the limit the invocation is throttled (LAMBDA_LIMIT_EXCEEDED)', async () => {
    const fn = await load(
      { 'index.js': `exports.handler = (e, c, cb) => setTimeout(() => cb(null, e.Records[0].cf.request), 200);` },
      { overrides: { concurrency: 2 } },
    );
    const results = await Promise.all(
      [0, 1, 2].map(() => rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') })),
    );
    const codes = results.map((r) => (r.ok ? 'ok' : r.code)).sort();
    assert.deepEqual(codes, ['LAMBDA_LIMIT_EXCEEDED', 'ok', 'ok']);
  });

  test('unload lets an invocation in flight finish', async () => {
    // The handler waits on a server the test holds, so the unload lands mid-invocation under any load.
    let arrived!: () => void;
    let release!: () => void;
    const atServer = new Promise<void>((r) => (arrived = r));
    const held = new Promise<void>((r) => (release = r));
    const server = createServer((_req, res) => {
      arrived();
      void held.then(() => res.end('late'));
    });
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
    after(() => new Promise<void>((r) => server.close(() => r())));
    const fn = await load(
      {
        'index.js': `exports.handler = async (e) => { await (await fetch('http://127.0.0.1:${port}/')).text(); return e.Records[0].cf.request; };`,
      },
      { egress: { allow: ['127.0.0.1'] } },
    );
    const pending = rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') });
    await atServer;
    await rt.unload(fn);
    release();
    okRequest(await pending);
    await assert.rejects(
      rt.invoke(fn, { eventType: 'viewer-request', event: sampleEvent('viewer-request') }),
      /not loaded/,
    );
  });

  test('overrides outside the profile envelope fail the load', async () => {
    await assert.rejects(
      load({ 'index.js': 'exports.handler = async () => ({})' }, { overrides: { timeoutMs: 6000 } }),
      /overrides\.timeoutMs 6000 is outside the cloudfront profile's range 1\.\.5000 ms/,
    );
    await assert.rejects(
      load({ 'index.js': 'exports.handler = async () => ({})' }, { overrides: { memoryMB: 256 } }),
      /overrides\.memoryMB 256/,
    );
  });

  test('a timeout names the configured limit', async () => {
    const f = failure(
      await run(`exports.handler = (e, c, cb) => setTimeout(() => cb(null, {}), 5000);`, {
        overrides: { timeoutMs: 150 },
      }),
    );
    assert.equal(f.code, 'LAMBDA_EXECUTION_ERROR');
    assert.equal(f.message, 'Task timed out after 0.15 seconds');
  });
});
