// Functions through the API: the three code forms, validation that names the field, publish
// (immutable versions whose sha256 and size are the zip's), code read-back, PATCH, ETag and
// If-Match (412, nothing changes), the test endpoint, and delete refused while attached.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { zipSync, strToU8 } from 'fflate';
import type { FunctionResource } from '../../src/client/index.js';
import { checkSchema as check } from '../../src/shared/schema/check.js';
import { distribution, startTestControl, taggingSource, type TestControl } from '../../src/control/testing/harness.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const paths = (r: { body: { error: { fields: Array<{ path: string }> } } }) => r.body.error.fields.map((f) => f.path);

describe('control plane functions', () => {
  let t: TestControl;
  before(async () => {
    t = await startTestControl();
  });
  after(() => t.close());

  test('create from source, files and a zip; defaults and ETag', async () => {
    const a = await t.api('POST', '/functions', {
      name: 'tag-src',
      runtime: 'nodejs',
      code: { source: taggingSource('a'), filename: 'tag.js' },
    });
    assert.equal(a.status, 201);
    assert.equal(a.body.handler, 'tag.handler');
    assert.equal(a.headers.get('etag'), '"r1"');
    assert.deepEqual(a.body.versions, []);
    const b = await t.api('POST', '/functions', {
      name: 'tag-files',
      runtime: 'nodejs',
      code: { files: { 'index.js': taggingSource('b'), 'lib/x.js': 'module.exports = 1;' } },
    });
    assert.equal(b.status, 201);
    assert.equal(b.body.handler, 'index.handler');
    const zip = zipSync({ 'index.js': strToU8(taggingSource('c')) });
    const c = await t.api('POST', '/functions', {
      name: 'tag-zip',
      runtime: 'nodejs',
      code: { zipBase64: Buffer.from(zip).toString('base64') },
    });
    assert.equal(c.status, 201);
    const code = await t.api('GET', '/functions/tag-files/code');
    assert.deepEqual(Object.keys(code.body.files).sort(), ['index.js', 'lib/x.js']);
    assert.equal(code.body.files['index.js'], taggingSource('b'));
    assert.equal(sha256(Buffer.from(code.body.zipBase64, 'base64')), b.body.codeSha256);
    assert.equal(
      (await t.api('POST', '/functions', { name: 'tag-src', runtime: 'nodejs', code: { source: 'x' } })).status,
      409,
    );
  });

  test('AWS runtime identifiers are accepted and stored as what Verge runs', async () => {
    const n = await t.api('POST', '/functions', {
      name: 'aws-node',
      runtime: 'nodejs20.x',
      code: { source: taggingSource('n'), filename: 'tag.js' },
    });
    assert.equal(n.status, 201, JSON.stringify(n.body));
    assert.equal(n.body.runtime, 'nodejs');
    const p = await t.api('POST', '/functions', {
      name: 'aws-py',
      runtime: 'python3.12',
      code: { source: 'def lambda_handler(event, context):\n    return event', filename: 'app.py' },
      handler: 'app.lambda_handler',
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.equal(p.body.runtime, 'python');
    const bad = await t.api('POST', '/functions', {
      name: 'aws-old',
      runtime: 'nodejs16.x',
      code: { source: taggingSource('o'), filename: 'tag.js' },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(paths(bad), ['$.runtime']);
  });

  test('validation errors name each field', async () => {
    const r = await t.api('POST', '/functions', {
      name: 'bad name',
      runtime: 'java',
      memoryMB: 64,
      timeoutMs: 0,
      env: { '1X': 'v' },
      code: { source: 'x' },
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(paths(r).sort(), ['$.memoryMB', '$.name', '$.runtime', '$.timeoutMs']);
    const missing = await t.api('POST', '/functions', { name: 'x' });
    assert.deepEqual(paths(missing).sort(), ['$.code', '$.runtime']);
    const unknown = await t.api('POST', '/functions', {
      name: 'x',
      runtime: 'nodejs',
      code: { source: 'x' },
      handlr: 'a.b',
    });
    assert.deepEqual(paths(unknown), ['$.handlr']);
    const env = await t.api('POST', '/functions', {
      name: 'x',
      runtime: 'nodejs',
      env: { '1X': 'v' },
      code: { source: 'x' },
    });
    assert.deepEqual(paths(env), ['$.env.1X']);
    const handler = await t.api('POST', '/functions', {
      name: 'x',
      runtime: 'nodejs',
      handler: 'main.handler',
      code: { files: { 'index.js': 'x' } },
    });
    assert.deepEqual(paths(handler), ['$.handler']);
    assert.match(
      handler.text,
      /needs main\.js .* it has index\.js \(name the file main\.js, or create the function with a --handler/,
    );
    const zip = await t.api('POST', '/functions', {
      name: 'x',
      runtime: 'nodejs',
      code: { zipBase64: 'bm90IGEgemlw' },
    });
    assert.deepEqual(paths(zip), ['$.code.zipBase64']);
    const escape = await t.api('POST', '/functions', {
      name: 'x',
      runtime: 'nodejs',
      code: { files: { '../evil.js': 'x' } },
    });
    assert.equal(escape.status, 400);
    assert.equal((await t.api('POST', '/functions', '{not json')).status, 400);
    assert.equal((await t.api('GET', '/functions/x')).status, 404);
  });

  test('publish makes immutable numbered versions with the zip sha256 and size', async () => {
    const f = (await t.api('GET', '/functions/tag-src')).body;
    const v1 = await t.api('POST', '/functions/tag-src/publish', { description: 'first' });
    assert.equal(v1.status, 201);
    assert.deepEqual(
      [v1.body.version, v1.body.sha256, v1.body.size, v1.body.description],
      [1, f.codeSha256, f.codeSize, 'first'],
    );
    const put = await t.api('PUT', '/functions/tag-src/code', {
      code: { source: taggingSource('a2'), filename: 'tag.js' },
    });
    assert.equal(put.status, 200);
    assert.notEqual(put.body.codeSha256, f.codeSha256);
    const v2 = await t.api('POST', '/functions/tag-src/publish');
    assert.equal(v2.body.version, 2);
    assert.equal(v2.body.sha256, put.body.codeSha256);
    const code1 = await t.api('GET', '/functions/tag-src/code?version=1');
    const zip1 = Buffer.from(code1.body.zipBase64, 'base64');
    assert.equal(sha256(zip1), v1.body.sha256);
    assert.equal(zip1.length, v1.body.size);
    assert.match(code1.body.files['tag.js'], /"a"/);
    const versions = await t.api('GET', '/functions/tag-src/versions');
    assert.deepEqual(
      versions.body.items.map((v: { version: number }) => v.version),
      [1, 2],
    );
    assert.equal((await t.api('GET', '/functions/tag-src/code?version=9')).status, 404);
    // The same files give the same zip, so the same hash.
    const again = await t.api('PUT', '/functions/tag-src/code', {
      code: { source: taggingSource('a2'), filename: 'tag.js' },
    });
    assert.equal(again.body.codeSha256, put.body.codeSha256);
  });

  test('every function answer carries its version count and latest version; answers fit the OpenAPI schemas', async () => {
    const doc = (await t.api('GET', '/openapi.json', undefined, { token: null })).body;
    const schemaOf = (path: string, method: string, status: number) =>
      doc.paths[`/api/v1${path}`][method].responses[status].content['application/json'].schema;
    const list = await t.api('GET', '/functions');
    assert.deepEqual(check(schemaOf('/functions', 'get', 200), list.body), []);
    const byName = new Map(list.body.items.map((f: FunctionResource) => [f.name, f]));
    const src = byName.get('tag-src') as FunctionResource;
    assert.deepEqual([src.versionCount, src.latestVersion, src.versions], [2, 2, undefined]);
    const files = byName.get('tag-files') as FunctionResource;
    assert.deepEqual([files.versionCount, files.latestVersion], [0, null]);
    // Unset limits are null (the profile applies), as the client's types say.
    assert.deepEqual(
      [src.memoryMB, src.timeoutMs, src.profile, src.concurrency, src.kvs],
      [null, null, null, null, null],
    );
    const one = await t.api('GET', '/functions/tag-src');
    assert.deepEqual(check(schemaOf('/functions/{name}', 'get', 200), one.body), []);
    assert.deepEqual([one.body.versionCount, one.body.latestVersion, one.body.versions.length], [2, 2, 2]);
    const patched = await t.api('PATCH', '/functions/tag-zip', { memoryMB: 256, profile: 'relaxed' });
    assert.deepEqual(check(schemaOf('/functions/{name}', 'patch', 200), patched.body), []);
    assert.deepEqual([patched.body.memoryMB, patched.body.profile, patched.body.timeoutMs], [256, 'relaxed', null]);
    const reset = await t.api('PATCH', '/functions/tag-zip', { memoryMB: null, profile: null });
    assert.deepEqual([reset.body.memoryMB, reset.body.profile], [null, null]);
    const versions = await t.api('GET', '/functions/tag-src/versions');
    assert.deepEqual(check(schemaOf('/functions/{name}/versions', 'get', 200), versions.body), []);
    // The schema is closed: an answer with a field it does not document would fail the checks above.
    assert.notDeepEqual(check(schemaOf('/functions', 'get', 200), { items: [{ ...src, extra: 1 }] }), []);
  });

  test('PATCH with a stale If-Match gets 412 and changes nothing; a current one applies', async () => {
    const cur = await t.api('GET', '/functions/tag-files');
    const etag = cur.headers.get('etag')!;
    const first = await t.api('PATCH', '/functions/tag-files', { env: { MODE: 'one' } }, { ifMatch: etag });
    assert.equal(first.status, 200);
    const stale = await t.api('PATCH', '/functions/tag-files', { env: { MODE: 'two' } }, { ifMatch: etag });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error.code, 'PRECONDITION_FAILED');
    const now = await t.api('GET', '/functions/tag-files');
    assert.equal(now.body.env.MODE, 'one');
    assert.equal(now.headers.get('etag'), first.headers.get('etag'));
    const code412 = await t.api('PUT', '/functions/tag-files/code', { code: { source: 'x' } }, { ifMatch: etag });
    assert.equal(code412.status, 412);
    assert.equal((await t.api('GET', '/functions/tag-files')).body.codeSha256, now.body.codeSha256);
    const del = await t.api(
      'PATCH',
      '/functions/tag-files',
      { env: { MODE: null } },
      { ifMatch: now.headers.get('etag')! },
    );
    assert.deepEqual(del.body.env, {});
  });

  test('concurrent PATCHes with the same If-Match: exactly one wins, the other gets 412', async () => {
    const etag = (await t.api('GET', '/functions/tag-zip')).headers.get('etag')!;
    const rs = await Promise.all(
      ['x', 'y', 'z'].map((v) => t.api('PATCH', '/functions/tag-zip', { env: { V: v } }, { ifMatch: etag })),
    );
    const ok = rs.filter((r) => r.status === 200);
    assert.equal(ok.length, 1);
    assert.equal(rs.filter((r) => r.status === 412).length, 2);
    assert.equal((await t.api('GET', '/functions/tag-zip')).body.env.V, ok[0]!.body.env.V);
  });

  test('test endpoint runs $LATEST or a version on the edge runtime', async () => {
    const latest = await t.api('POST', '/functions/tag-src/test', { eventType: 'viewer-request' });
    assert.equal(latest.status, 200);
    assert.equal(latest.body.error, null);
    assert.deepEqual(latest.body.result.headers['x-tag'], [{ key: 'X-Tag', value: 'a2' }]);
    assert.match(latest.body.logs[0].message, /tagging a2/);
    const v1 = await t.api('POST', '/functions/tag-src/test', {
      eventType: 'origin-request',
      version: 1,
      event: { request: { uri: '/x' } },
    });
    assert.deepEqual(v1.body.result.headers['x-tag'], [{ key: 'X-Tag', value: 'a' }]);
    assert.equal(v1.body.result.uri, '/x');
    await t.api('POST', '/functions', {
      name: 'thrower',
      runtime: 'nodejs',
      code: { source: 'exports.handler = async () => { throw new Error("boom"); };' },
    });
    const err = await t.api('POST', '/functions/thrower/test', { eventType: 'viewer-request' });
    assert.equal(err.body.error.class, 'LambdaExecutionError');
    assert.match(err.body.error.message, /boom/);
    // AWS's CloudFront Functions test event: its request is what the function sees.
    const cffFn = await t.api('POST', '/functions', {
      name: 'cff-origin',
      runtime: 'cloudfront-js-2.0',
      code: {
        source: `import cf from 'cloudfront'; function handler(e) { cf.selectRequestOriginById('media'); e.request.headers['x-uri'] = { value: e.request.uri + ' ' + e.viewer.ip }; return e.request; }`,
        filename: 'index.js',
      },
    });
    assert.equal(cffFn.status, 201, JSON.stringify(cffFn.body));
    const cffEvent = {
      version: '1.0',
      context: { eventType: 'viewer-request' },
      viewer: { ip: '198.51.100.11' },
      request: { method: 'GET', uri: '/media/index.mpd', headers: { host: { value: 'www.example.com' } } },
    };
    const ran = await t.api('POST', '/functions/cff-origin/test', { eventType: 'viewer-request', event: cffEvent });
    assert.equal(ran.status, 200, JSON.stringify(ran.body));
    assert.equal(ran.body.error, null);
    assert.equal(ran.body.result.headers['x-uri'][0].value, '/media/index.mpd 198.51.100.11');
    assert.deepEqual(ran.body.origin, { originId: 'media' });
    const mismatch = await t.api('POST', '/functions/cff-origin/test', {
      eventType: 'viewer-response',
      event: cffEvent,
    });
    assert.equal(mismatch.status, 400);
    assert.deepEqual(paths(mismatch), ['$.event.context.eventType']);
    const bad = await t.api('POST', '/functions/tag-src/test', { eventType: 'sideways' });
    assert.deepEqual(paths(bad), ['$.eventType']);
    const noVersion = await t.api('POST', '/functions/tag-src/test', { eventType: 'viewer-request', version: '7' });
    assert.deepEqual(paths(noVersion), ['$.version']);
    const noRecords = await t.api('POST', '/functions/tag-src/test', {
      eventType: 'viewer-request',
      event: { Records: [] },
    });
    assert.equal(noRecords.status, 400);
    assert.deepEqual(paths(noRecords), ['$.event.Records']);
    const noRequest = await t.api('POST', '/functions/tag-src/test', {
      eventType: 'viewer-request',
      event: { Records: [{ cf: { config: {} } }] },
    });
    assert.deepEqual(paths(noRequest), ['$.event.Records[0].cf.request']);
  });

  test('delete is refused (409 naming the trigger) while a version is attached, and completes once detached', async () => {
    assert.equal((await t.api('POST', '/distributions', distribution('fnshop'))).status, 201);
    const tr = await t.api('POST', '/triggers', {
      distributionId: 'fnshop',
      behavior: '/api/*',
      eventType: 'origin-request',
      function: 'tag-src:1',
    });
    assert.equal(tr.status, 201);
    const refused = await t.api('DELETE', '/functions/tag-src');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'FUNCTION_IN_USE');
    assert.match(refused.body.error.message, new RegExp(tr.body.id));
    assert.deepEqual(
      refused.body.error.details.triggers.map((x: { id: string }) => x.id),
      [tr.body.id],
    );
    assert.equal((await t.api('GET', '/functions/tag-src')).status, 200);
    assert.equal((await t.api('DELETE', `/triggers/${tr.body.id}`)).status, 204);
    assert.equal((await t.api('DELETE', '/functions/tag-src')).status, 204);
    assert.equal((await t.api('GET', '/functions/tag-src')).status, 404);
  });
});

describe('control plane functions: the egress allow-list', () => {
  let t: TestControl;
  before(async () => {
    t = await startTestControl();
  });
  after(() => t.close());

  test('set on create, validated by entry, replaced or removed by PATCH, copied into versions and snapshots', async () => {
    const bad = await t.api('POST', '/functions', {
      name: 'egress-bad',
      runtime: 'nodejs',
      egress: { allow: ['origin.internal', '10.1.2.3/8', 'host:99999'] },
      code: { source: taggingSource('e') },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(paths(bad), ['$.egress.allow[1]', '$.egress.allow[2]']);
    assert.match(bad.body.error.fields[0].message, /bits set past the prefix/);
    const shape = await t.api('POST', '/functions', {
      name: 'egress-bad',
      runtime: 'nodejs',
      egress: { hosts: [] },
      code: { source: taggingSource('e') },
    });
    assert.equal(shape.status, 400);
    const made = await t.api('POST', '/functions', {
      name: 'egress',
      runtime: 'nodejs',
      egress: { allow: ['origin.internal:8443', '10.0.0.0/8'] },
      code: { source: taggingSource('e') },
    });
    assert.equal(made.status, 201);
    assert.deepEqual(made.body.egress, { allow: ['origin.internal:8443', '10.0.0.0/8'] });
    assert.equal(
      (await t.api('POST', '/functions', { name: 'plain', runtime: 'nodejs', code: { source: taggingSource('p') } }))
        .body.egress,
      null,
    );
    const v1 = await t.api('POST', '/functions/egress/publish', {});
    assert.equal((await t.api('POST', '/distributions', distribution('eg'))).status, 201);
    const tr = await t.api('POST', '/triggers', {
      distributionId: 'eg',
      behavior: 'default',
      eventType: 'viewer-request',
      function: `egress:${v1.body.version}`,
    });
    assert.equal(tr.status, 201, JSON.stringify(tr.body));
    const deployments = (await t.api('GET', '/deployments')).body.items as Array<{ version: number }>;
    const snap = (await t.api('GET', `/edge/snapshots/${deployments[0]!.version}`)).body as {
      distributions: Array<{
        defaultCacheBehavior: { functionAssociations: Array<{ function: { egress?: unknown } }> };
      }>;
    };
    const fn = snap.distributions.find((d) => (d as unknown as { id: string }).id === 'eg')!.defaultCacheBehavior
      .functionAssociations[0]!.function;
    assert.deepEqual(fn.egress, { allow: ['origin.internal:8443', '10.0.0.0/8'] });
    const patched = await t.api('PATCH', '/functions/egress', { egress: { allow: ['[fd00::]/8:443'] } });
    assert.deepEqual(patched.body.egress, { allow: ['[fd00::]/8:443'] });
    const cleared = await t.api('PATCH', '/functions/egress', { egress: null });
    assert.equal(cleared.body.egress, null);
    const v2 = await t.api('POST', '/functions/egress/publish', {});
    assert.equal(v2.body.version, 2);
    // Version 1 keeps the allow-list it was published with.
    const again = (await t.api('GET', `/edge/snapshots/${deployments[0]!.version}`)).body as typeof snap;
    assert.deepEqual(
      again.distributions.find((d) => (d as unknown as { id: string }).id === 'eg')!.defaultCacheBehavior
        .functionAssociations[0]!.function.egress,
      { allow: ['origin.internal:8443', '10.0.0.0/8'] },
    );
  });
});
