// The OpenAPI document lists every route the server dispatches and every route docs/api.md
// promises; a restart on the same data folder keeps everything.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildRouter } from '../../src/control/index.js';
import { DistributionSchema } from '../../src/shared/config/schema.js';
import { REPLICATION_SCHEMAS } from '../../src/shared/replication/schemas.js';
import { checkSchema } from '../../src/shared/schema/check.js';
import { distribution, startTestControl, taggingSource, type TestControl } from '../../src/control/testing/harness.js';

describe('control plane OpenAPI document', () => {
  let t: TestControl;
  before(async () => {
    t = await startTestControl();
  });
  after(() => t.close());

  test('every dispatched route is in the document, with its body schema', async () => {
    const doc = (await t.api('GET', '/openapi.json', undefined, { token: null })).body;
    assert.equal(doc.openapi, '3.1.0');
    const routes = buildRouter(t.control.app).routes;
    assert.ok(routes.length >= 40);
    for (const r of routes) {
      const op = doc.paths[`/api/v1${r.path}`]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${r.path} is missing`);
      assert.equal(op.summary, r.summary);
      if (r.body)
        assert.deepEqual(op.requestBody.content['application/json'].schema, JSON.parse(JSON.stringify(r.body)));
    }
    const ops = Object.values(doc.paths as Record<string, Record<string, unknown>>).reduce(
      (n, p) => n + Object.keys(p).length,
      0,
    );
    assert.equal(ops, routes.length, 'nothing extra');
    assert.deepEqual(doc.paths['/api/v1/healthz'].get.security, []);
  });

  test('every route has its request and answer schemas in the document, the ones it validates and types with', async () => {
    const doc = (await t.api('GET', '/openapi.json', undefined, { token: null })).body;
    const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
    const routes = buildRouter(t.control.app).routes;
    for (const r of routes) {
      const where = `${r.method} ${r.path}`;
      const op = doc.paths[`/api/v1${r.path}`][r.method.toLowerCase()];
      if (r.body) assert.deepEqual(op.requestBody.content['application/json'].schema, json(r.body), where);
      else assert.equal(op.requestBody, undefined, where);
      const status = r.success?.status ?? 200;
      if (status === 204) {
        assert.equal(op.responses['204'].content, undefined, where);
        continue;
      }
      assert.ok(r.success?.schema, `${where} declares its answer's schema`);
      const content = op.responses[String(status)].content[r.success.contentType ?? 'application/json'];
      assert.deepEqual(content.schema, json(r.success.schema), where);
    }
    assert.deepEqual(doc.components.schemas.DistributionConfig, json(DistributionSchema));
    // The distribution routes show the config schema the domain validates with.
    assert.deepEqual(doc.paths['/api/v1/distributions'].post.requestBody.content['application/json'].schema, json(DistributionSchema)); // prettier-ignore
  });

  test('answers fit the schemas the document gives them', async () => {
    const doc = (await t.api('GET', '/openapi.json', undefined, { token: null })).body;
    const answer = async (method: string, path: string, template: string, body?: unknown) => {
      const r = await t.api(method, path, body);
      const status = String(r.status);
      const schema = doc.paths[`/api/v1${template}`][method.toLowerCase()].responses[status]?.content?.['application/json']?.schema; // prettier-ignore
      assert.ok(schema, `${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(checkSchema(schema, r.body), [], `${method} ${path}`);
      return r.body;
    };
    await answer('GET', '/healthz', '/healthz');
    await answer('POST', '/tokens', '/tokens', { name: 'reader', kind: 'edge', pop: 'p9' });
    await answer('GET', '/tokens', '/tokens');
    await answer('POST', '/kvs', '/kvs', { name: 'answers', data: { a: '1' } });
    await answer('PUT', '/kvs/answers/keys/b', '/kvs/{name}/keys/{key}', { value: '2' });
    await answer('GET', '/kvs/answers', '/kvs/{name}');
    await answer('GET', '/kvs', '/kvs');
    await answer('POST', '/distributions', '/distributions', distribution('answers'));
    await answer('GET', '/distributions/answers/history', '/distributions/{id}/history');
    const inv = await answer('POST', '/invalidations', '/invalidations', { distributionId: 'answers', paths: ['/a'] });
    await answer('GET', `/invalidations/${inv.id}`, '/invalidations/{id}');
    await answer('GET', '/deployments', '/deployments');
    await answer('GET', '/logs', '/logs');
    await answer('GET', '/metrics?kind=distribution', '/metrics');
    // A field the schema does not know fails the check: the answers' schemas are closed.
    const kvs = doc.paths['/api/v1/kvs/{name}'].get.responses['200'].content['application/json'].schema;
    assert.notDeepEqual(checkSchema(kvs, { name: 'x', keyCount: 0, updatedAt: 'now', etag: '"r1"', extra: 1 }), []);
  });

  test('the replication messages are in the document as the schemas the routes validate with', async () => {
    const doc = (await t.api('GET', '/openapi.json', undefined, { token: null })).body;
    const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
    for (const [name, schema] of Object.entries(REPLICATION_SCHEMAS))
      assert.deepEqual(doc.components.schemas[name], json(schema), `components.schemas.${name}`);
    const bodies: Array<[string, keyof typeof REPLICATION_SCHEMAS]> = [
      ['/api/v1/edge/register', 'RegisterRequest'],
      ['/api/v1/edge/acks', 'AckRequest'],
      ['/api/v1/edge/invalidations/{id}/ack', 'InvalidationAck'],
      ['/api/v1/edge/logs', 'LogBatch'],
      ['/api/v1/edge/metrics', 'MetricBatch'],
    ];
    for (const [path, name] of bodies)
      assert.deepEqual(doc.paths[path].post.requestBody.content['application/json'].schema, json(REPLICATION_SCHEMAS[name]), path); // prettier-ignore
    // And the route answers with every problem of a bad body, by path.
    const token = (await t.api('POST', '/tokens', { name: 'e', kind: 'edge', pop: 'p1' })).body.token;
    const r = await t.api('POST', '/edge/acks', { pop: 'p1', version: 0, ok: 'yes', note: 1 }, { token });
    assert.equal(r.status, 400);
    assert.deepEqual(
      r.body.error.fields.map((f: { path: string }) => f.path),
      ['$.note', '$.version', '$.ok'],
    );
  });

  test('every route of docs/api.md is in the document', async () => {
    const doc = (await t.api('GET', '/openapi.json', undefined, { token: null })).body;
    const md = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const rows = md.split('\n').filter((l) => l.startsWith('| `'));
    const promised = rows.flatMap((l) =>
      [...l.split('|')[1]!.matchAll(/`(GET|POST|PUT|PATCH|DELETE) ([^`?]+)/g)].map(
        (m) => [m[1]!, m[2]!.trim()] as const,
      ),
    );
    assert.ok(promised.length >= 35, `parsed ${promised.length} routes from docs/api.md`);
    for (const [method, path] of promised)
      assert.ok(doc.paths[`/api/v1${path}`]?.[method.toLowerCase()], `${method} ${path} from docs/api.md`);
  });

  test('unknown routes and wrong methods answer 404/405 with the error body', async () => {
    const r = await t.api('GET', '/nope');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'NOT_FOUND');
    const m = await t.api('PATCH', '/distributions');
    assert.equal(m.status, 405);
  });
});

describe('control plane restart', () => {
  let t: TestControl;
  before(async () => {
    t = await startTestControl();
  });
  after(() => t.close());

  test('a restart on the same data folder keeps everything and does not make a new admin token', async () => {
    await t.api('POST', '/functions', {
      name: 'keep',
      runtime: 'nodejs',
      secrets: { K: 'v' },
      code: { source: taggingSource('keep') },
    });
    const v = (await t.api('POST', '/functions/keep/publish', { description: 'kept' })).body;
    await t.api('POST', '/distributions', distribution('keep'));
    const tr = (
      await t.api('POST', '/triggers', {
        distributionId: 'keep',
        behavior: 'default',
        eventType: 'viewer-request',
        function: 'keep:1',
      })
    ).body;
    await t.api('POST', '/kvs', { name: 'store', data: { a: '1' } });
    const edge = (await t.api('POST', '/tokens', { name: 'e', kind: 'edge', pop: 'p1' })).body.token;
    await t.api(
      'POST',
      '/edge/register',
      { pop: 'p1', region: 'r', appliedVersion: 0, edgeVersion: 't' },
      { token: edge },
    );
    await t.api('POST', '/edge/acks', { pop: 'p1', version: 2, ok: true }, { token: edge });
    const inv = (await t.api('POST', '/invalidations', { distributionId: 'keep', paths: ['/a'] })).body;
    await t.api(
      'POST',
      '/edge/logs',
      { pop: 'p1', batchId: 'x', records: [{ type: 'function', time: Date.now(), requestId: 'r1', message: 'm' }] },
      { token: edge },
    );
    const before = {
      fn: (await t.api('GET', '/functions/keep')).body,
      dist: (await t.api('GET', '/distributions/keep')).body,
      deployments: (await t.api('GET', '/deployments')).body,
      pops: (await t.api('GET', '/pops')).body.items.map((p: { id: string; appliedVersion: number }) => [
        p.id,
        p.appliedVersion,
      ]),
    };
    await t.restart();
    assert.equal(t.control.adminToken, undefined, 'the admin token is created only once');
    assert.deepEqual((await t.api('GET', '/functions/keep')).body, before.fn);
    assert.deepEqual((await t.api('GET', '/functions/keep/versions')).body.items, [v]);
    assert.deepEqual((await t.api('GET', '/distributions/keep')).body, before.dist);
    assert.equal((await t.api('GET', `/triggers/${tr.id}`)).body.function, 'keep:1');
    assert.equal((await t.api('GET', '/kvs/store')).body.data.a, '1');
    assert.deepEqual((await t.api('GET', '/deployments')).body, before.deployments);
    assert.deepEqual(
      (await t.api('GET', '/pops')).body.items.map((p: { id: string; appliedVersion: number }) => [
        p.id,
        p.appliedVersion,
      ]),
      before.pops,
    );
    assert.equal((await t.api('GET', `/invalidations/${inv.id}`)).body.id, inv.id);
    assert.equal((await t.api('GET', '/logs?requestId=r1')).body.items.length, 1);
    assert.equal(
      (await t.api('GET', '/edge/snapshots/2', undefined, { token: edge })).status,
      200,
      'edge tokens survive',
    );
    await t.api('POST', '/distributions', distribution('next'));
    assert.equal((await t.api('GET', '/deployments')).body.items[0].version, 3, 'numbering continues');
  });
});
