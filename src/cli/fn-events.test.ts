/**
 * @module cli/fn-events.test
 * Sample events (`verge generate-event`) have the spec's shapes, and `verge invoke` (runInvoke)
 * runs a real function on them with the edge's validator: results, logs and CloudFront classes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfRequest } from '../shared/lambda-edge/index.js';
import { buildEvent, splitEventInput } from './fn-events.js';
import { runInvoke } from './invoke-command.js';

const dir = mkdtempSync(join(tmpdir(), 'verge-invoke-'));

describe('sample events (spec 1.2–1.5)', () => {
  test('viewer-request: viewer Host, querystring from the URL, 56-char request id ending ==', () => {
    const e = buildEvent({
      eventType: 'viewer-request',
      url: 'https://shop.example.net/a/b?x=1&y=2',
      headers: [
        ['Cookie', 'a=1'],
        ['Cookie', 'b=2'],
      ],
    });
    const cf = e.Records[0].cf;
    assert.match(cf.config.requestId, /^[A-Za-z0-9_-]{54}==$/);
    assert.equal(cf.request.uri, '/a/b');
    assert.equal(cf.request.querystring, 'x=1&y=2');
    assert.deepEqual(cf.request.headers.host, [{ key: 'Host', value: 'shop.example.net' }]);
    assert.equal(cf.request.headers.cookie!.length, 2, 'repeated header lines stay separate');
    assert.equal(cf.request.origin, undefined);
    assert.equal(cf.response, undefined);
  });
  test('origin-request: post-policy headers and an origin.custom member', () => {
    const cf = buildEvent({ eventType: 'origin-request', url: 'http://origin.example.net:8080/x' }).Records[0].cf;
    assert.equal(cf.request.headers['user-agent']![0]!.value, 'Amazon CloudFront');
    assert.ok(cf.request.headers.via);
    assert.deepEqual(
      cf.request.origin &&
        'custom' in cf.request.origin && [
          cf.request.origin.custom.domainName,
          cf.request.origin.custom.port,
          cf.request.origin.custom.protocol,
        ],
      ['origin.example.net', 8080, 'http'],
    );
  });
  test('origin-response carries a string status; a bare request file is accepted', () => {
    const cf = buildEvent({ eventType: 'origin-response', status: 404 }).Records[0].cf;
    assert.equal(cf.response!.status, '404');
    assert.equal(cf.response!.statusDescription, 'Not Found');
    const parts = splitEventInput({ uri: '/only', headers: { Host: 'h.test' } }, 'test');
    assert.equal(parts.request.uri, '/only');
    assert.deepEqual(parts.request.headers.host, [{ key: 'Host', value: 'h.test' }]);
  });
});

describe('verge invoke', () => {
  const base = { event: 'viewer-request' } as const;
  test('a successful function: result, captured logs, no error', async () => {
    const file = join(dir, 'ok.js');
    writeFileSync(
      file,
      `exports.handler = async (e) => { const r = e.Records[0].cf.request; console.log('saw ' + r.uri + ' ' + process.env.MODE); r.uri = '/new'; return r; };`,
    );
    const out = await runInvoke(file, { ...base, url: 'https://www.example.com/old?q=1', env: ['MODE=test'] });
    assert.equal(out.error, null);
    assert.equal((out.result as CfRequest).uri, '/new');
    assert.equal((out.result as CfRequest).querystring, 'q=1');
    assert.deepEqual(
      out.logs.map((l) => l.message),
      ['saw /old test'],
    );
  });
  test("--runtime takes AWS's identifiers; a version Verge does not run is noted", async () => {
    const file = join(dir, 'rt.js');
    writeFileSync(file, `exports.handler = async (e) => e.Records[0].cf.request;`);
    const out = await runInvoke(file, { ...base, runtime: 'nodejs22.x' });
    assert.equal(out.error, null);
    assert.deepEqual(out.notes, ["nodejs22.x runs on Verge's Node.js 20 runtime (as nodejs20.x)"]);
    assert.equal((await runInvoke(file, { ...base, runtime: 'nodejs20.x' })).notes, undefined);
    await assert.rejects(runInvoke(file, { ...base, runtime: 'nodejs16.x' }), /--runtime must be one of .*nodejs22\.x/);
  });
  test('function failures carry CloudFront classes', async () => {
    const thrower = join(dir, 'throw.js');
    writeFileSync(thrower, `exports.handler = async () => { throw new Error('nope'); };`);
    const t = await runInvoke(thrower, base);
    assert.equal(t.error?.class, 'LambdaExecutionError');
    assert.match(t.error!.message, /nope/);
    const ro = join(dir, 'ro.js');
    writeFileSync(
      ro,
      `exports.handler = async (e) => { const r = e.Records[0].cf.request; delete r.headers.host; return r; };`,
    );
    const v = await runInvoke(ro, base);
    assert.equal(v.error?.class, 'LambdaValidationError');
    assert.match(v.error!.message, /delete read-only header/);
  });
  test('--request with a whole generated event, and --include-body', async () => {
    const fn = join(dir, 'body.js');
    writeFileSync(
      fn,
      `exports.handler = async (e) => { const r = e.Records[0].cf.request; return { status: '200', body: e.Records[0].cf.config.eventType + ':' + Buffer.from(r.body.data, 'base64').toString() }; };`,
    );
    const evFile = join(dir, 'ev.json');
    writeFileSync(
      evFile,
      JSON.stringify(buildEvent({ eventType: 'origin-request', method: 'POST', body: 'hello', includeBody: true })),
    );
    const out = await runInvoke(fn, { request: evFile });
    assert.equal(out.error, null);
    assert.equal((out.result as { body: string }).body, 'origin-request:hello');
  });
});

describe("verge invoke with AWS's CloudFront Functions test event", () => {
  // The shape `aws cloudfront test-function` takes (CloudFront Developer Guide, "Test functions").
  const viewerRequest = {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '198.51.100.11' },
    request: {
      method: 'GET',
      uri: '/media/index.mpd',
      headers: { host: { value: 'www.example.com' }, accept: { value: 'application/dash+xml' } },
      cookies: { id: { value: 'CookieIdValue' }, loggedIn: { value: 'false' } },
      querystring: {
        test: { value: 'true' },
        arg: { value: 'val1', multiValue: [{ value: 'val1' }, { value: 'val2' }] },
      },
    },
  };

  test('the event type and request come from the test event; the origin the function chose is shown', async () => {
    const fn = join(dir, 'cff-origin.js');
    writeFileSync(
      fn,
      `import cf from 'cloudfront';
      function handler(event) {
        console.log(JSON.stringify({ ip: event.viewer.ip, type: event.context.eventType, uri: event.request.uri,
          accept: event.request.headers.accept.value, id: event.request.cookies.id.value,
          arg: event.request.querystring.arg.multiValue.map(function (m) { return m.value; }) }));
        cf.updateRequestOrigin({ domainName: 'media.example.net', originPath: '/dash', customHeaders: { 'x-origin-key': 'k1' } });
        return event.request;
      }`,
    );
    const ev = join(dir, 'cff-test-event.json');
    writeFileSync(ev, JSON.stringify(viewerRequest));
    const out = await runInvoke(fn, { request: ev, runtime: 'cloudfront-js-2.0' });
    assert.equal(out.error, null, JSON.stringify(out.error));
    assert.deepEqual(JSON.parse(out.logs[0]!.message), {
      ip: '198.51.100.11',
      type: 'viewer-request',
      uri: '/media/index.mpd',
      accept: 'application/dash+xml',
      id: 'CookieIdValue',
      arg: ['val1', 'val2'],
    });
    assert.equal((out.result as CfRequest).querystring, 'test=true&arg=val1&arg=val2');
    assert.deepEqual(out.origin, {
      domainName: 'media.example.net',
      originPath: '/dash',
      customHeaders: { 'x-origin-key': 'k1' },
    });
  });

  test('a viewer-response test event carries the response; a bad event type is named', async () => {
    const fn = join(dir, 'cff-resp.js');
    writeFileSync(
      fn,
      `function handler(event) { var r = event.response; r.headers['x-seen'] = { value: r.statusCode + ' ' + r.headers['content-type'].value + ' ' + r.cookies.sid.value }; return r; }`,
    );
    const ev = join(dir, 'cff-resp-event.json');
    writeFileSync(
      ev,
      JSON.stringify({
        ...viewerRequest,
        context: { eventType: 'viewer-response' },
        response: {
          statusCode: 200,
          statusDescription: 'OK',
          headers: { 'content-type': { value: 'text/html' } },
          cookies: { sid: { value: 'abc', attributes: 'Path=/' } },
        },
      }),
    );
    const out = await runInvoke(fn, { request: ev, runtime: 'cloudfront-js-2.0' });
    assert.equal(out.error, null, JSON.stringify(out.error));
    const res = out.result as { status: string; headers: Record<string, Array<{ value: string }>> };
    assert.equal(res.headers['x-seen']![0]!.value, '200 text/html abc');
    assert.equal(res.headers['set-cookie']![0]!.value, 'sid=abc; Path=/');
    writeFileSync(ev, JSON.stringify({ ...viewerRequest, context: { eventType: 'origin-request' } }));
    await assert.rejects(
      runInvoke(fn, { request: ev, runtime: 'cloudfront-js-2.0' }),
      /context\.eventType must be viewer-request or viewer-response \(got "origin-request"\)/,
    );
  });

  test("cloudfront-js-1.0 code that uses 2.0 syntax is refused as at publish, with CloudFront's message", async () => {
    const fn = join(dir, 'cff-one.js');
    writeFileSync(
      fn,
      `function handler(event) {\n  var request = event.request;\n  let uri = request.uri;\n  return request;\n}\n`,
    );
    const ev = join(dir, 'cff-one-event.json');
    writeFileSync(ev, JSON.stringify(viewerRequest));
    await assert.rejects(
      runInvoke(fn, { request: ev, runtime: 'cloudfront-js-1.0' }),
      /cff-one\.js:3:3: SyntaxError: Token "let" not supported in this version \(cloudfront-js-1\.0: declare it with var/,
    );
    const out = await runInvoke(fn, { request: ev, runtime: 'cloudfront-js-2.0' });
    assert.equal(out.error, null, JSON.stringify(out.error));
  });
});
