/**
 * The control API's HTTP layer on Fastify, through inject() (no socket): bodies as JSON whatever
 * the content type, a malformed body or a %-escape named, the per-route body limit's 413, 405
 * naming the allowed methods, auth before the body, HEAD; and the check that holds the OpenAPI
 * document to the route table's schemas (npm run check:openapi) catching what a generator rewrites.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'typebox';
import { buildRouter } from '../control.js';
import { injectedApi, type InjectedApi } from '../testing/inject.js';
import { OPENAPI_COMPONENTS } from './openapi.js';
import { openApiDisagreements } from './openapi-check.js';
import { route } from './route.js';

describe('control API over Fastify', () => {
  let t: InjectedApi;
  let auth: Record<string, string>;
  const call = (method: 'GET' | 'HEAD' | 'POST' | 'PATCH', url: string, o: { body?: string; headers?: Record<string, string> } = {}) => // prettier-ignore
    t.api.fastify.inject({ method, url, headers: { ...auth, ...o.headers }, ...(o.body !== undefined ? { payload: o.body } : {}) }); // prettier-ignore

  before(async () => {
    t = await injectedApi({
      // One extra route with a small body limit: the limit is per route.
      table: (app, doc) => {
        const table = buildRouter(app, doc);
        const small = route({
          method: 'POST',
          path: '/test/small',
          access: 'admin',
          summary: 'a route that takes at most 64 bytes',
          body: Type.Object({ note: Type.String() }, { additionalProperties: false }),
          bodyLimit: 64,
          success: { status: 200, schema: Type.Object({ note: Type.String() }) },
          handler: (ctx) => ({ status: 200, body: { note: ctx.body.note } }),
        });
        return { routes: [...table.routes, small] };
      },
    });
    auth = { authorization: `Bearer ${t.adminToken}` };
  });
  after(() => t.close());

  test('a JSON body is read whatever the content type says, and checked against its schema', async () => {
    const plain = await call('POST', '/api/v1/kvs', { body: '{"name":"k1","data":{"a":"1"}}' });
    assert.equal(plain.statusCode, 201, plain.body);
    assert.equal(plain.headers.etag, '"r1"');
    const text = await call('POST', '/api/v1/test/small', { body: '{"note":"hi"}', headers: { 'content-type': 'text/plain' } }); // prettier-ignore
    assert.deepEqual(text.json(), { note: 'hi' });
    const unknown = await call('POST', '/api/v1/test/small', { body: '{"nte":"hi"}' });
    assert.equal(unknown.statusCode, 400);
    assert.deepEqual(unknown.json().error.fields, [
      { path: '$.note', message: 'is required' },
      { path: '$.nte', message: 'unknown field "nte" (did you mean "note"?)' },
    ]);
    const none = await call('POST', '/api/v1/test/small');
    assert.deepEqual(
      none.json().error.fields,
      [{ path: '$.note', message: 'is required' }],
      'no body is checked as {}',
    );
  });

  test('a body that is not JSON is a 400 saying where it stopped', async () => {
    const r = await call('POST', '/api/v1/test/small', { body: '{"note": ', headers: { 'content-type': 'application/json' } }); // prettier-ignore
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, 'VALIDATION_FAILED');
    assert.match(r.json().error.message, /^the request body is not JSON: .*JSON/);
    assert.deepEqual(r.json().error.fields, [{ path: '$', message: 'is not valid JSON' }]);
  });

  test("a body over the route's limit is a 413 with the error body", async () => {
    const r = await call('POST', '/api/v1/test/small', { body: JSON.stringify({ note: 'x'.repeat(100) }) });
    assert.equal(r.statusCode, 413);
    assert.deepEqual(r.json().error, {
      code: 'VALIDATION_FAILED',
      message: 'the request body exceeds 64 bytes',
      fields: [{ path: '$', message: 'larger than 64 bytes' }],
    });
    // Other routes keep the default (function packages arrive base64 in JSON).
    assert.equal((await call('POST', '/api/v1/kvs', { body: JSON.stringify({ name: 'k2', data: { a: 'x'.repeat(100) } }) })).statusCode, 201); // prettier-ignore
  });

  test('auth comes before the body: no token is a 401 even for a body that is not JSON', async () => {
    const r = await t.api.fastify.inject({ method: 'POST', url: '/api/v1/test/small', payload: '{' });
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().error.code, 'UNAUTHORIZED');
  });

  test('a wrong method is a 405 naming the allowed ones; an unknown route a 404', async () => {
    const m = await call('PATCH', '/api/v1/kvs');
    assert.equal(m.statusCode, 405);
    assert.equal(m.json().error.message, 'PATCH is not allowed on /api/v1/kvs (allowed: POST, GET)');
    const n = await call('GET', '/api/v1/nope');
    assert.equal(n.statusCode, 404);
    assert.equal(n.json().error.message, 'no route GET /api/v1/nope (GET /api/v1/openapi.json lists them)');
  });

  test('a malformed %-escape names the parameter, before authentication', async () => {
    const r = await t.api.fastify.inject({ method: 'GET', url: '/api/v1/kvs/%E0%A4%A' });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.message, 'the path parameter name has a malformed %-escape: "%E0%A4%A"');
    assert.deepEqual(r.json().error.fields, [{ path: '$.name', message: 'is not valid percent-encoded UTF-8' }]);
  });

  test('HEAD answers a GET route without its body', async () => {
    const r = await call('HEAD', '/api/v1/kvs/k1');
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers.etag, '"r1"');
    assert.equal(r.body, '');
  });
});

describe('the OpenAPI document against the schemas', () => {
  let t: InjectedApi;
  let doc: Record<string, any>;
  before(async () => {
    t = await injectedApi();
    doc = (await t.api.fastify.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
  });
  after(() => t.close());
  const check = (d: unknown) => openApiDisagreements(d as Record<string, unknown>, t.table.routes, OPENAPI_COMPONENTS);

  test('the served document agrees', () => {
    assert.deepEqual(check(doc), []);
  });

  test('a schema rewritten on its way into the document is named', () => {
    const d = structuredClone(doc);
    const body = d.paths['/api/v1/kvs'].post.requestBody.content['application/json'].schema;
    // What @fastify/swagger does to TypeBox's Type.Record (patternProperties → additionalProperties), undone the other way.
    body.properties.data = { type: 'object', patternProperties: { '^.*$': body.properties.data.additionalProperties } };
    assert.deepEqual(check(d), ["POST /kvs request body: the document's schema is not the declared one"]);
  });

  test('a missing or extra operation, an answer schema and a dangling $ref are named', () => {
    const d = structuredClone(doc);
    delete d.paths['/api/v1/pops'].get;
    d.paths['/api/v1/extra'] = { get: { summary: 'x', responses: {} } };
    d.paths['/api/v1/healthz'].get.responses['200'].content['application/json'].schema = { type: 'object' };
    d.components.schemas.Gone = { $ref: '#/components/schemas/Nowhere' };
    assert.deepEqual(check(d), [
      "GET /healthz 200 answer: the document's schema is not the declared one",
      'GET /pops: not in the document',
      'GET /api/v1/extra: in the document, not a route',
      '$ref #/components/schemas/Nowhere points at nothing',
    ]);
  });
});
