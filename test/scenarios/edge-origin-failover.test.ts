/**
 * @module test/scenarios/edge-origin-failover
 * Scenario tests for origin groups (spec 7.7: a failover status or a connection failure on the
 * primary sends GET/HEAD/OPTIONS to the secondary; other methods and other statuses do not
 * fail over; every request tries the primary first) and custom error responses (spec 7.8: the
 * page fetched through its own behavior, the status replaced, `X-Cache: Error`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { freePorts } from '../harness/ports.js';

const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];

describe('edge origins: origin groups (spec 7.7)', () => {
  let primary: ScriptedOrigin;
  let secondary: ScriptedOrigin;
  let te: TestEdge;
  let deadPort = 0;
  before(async () => {
    primary = await startOrigin({
      '/fail': { status: 503, body: 'primary 503' },
      '/teapot': { status: 418, body: 'primary 418' },
      '/missing': { status: 404, body: 'primary 404' },
      '/ok': { body: 'primary ok' },
      '/post': { status: 503, body: 'primary 503 to POST' },
    });
    secondary = await startOrigin({
      '*': (r) => ({ headers: { 'cache-control': 'max-age=60' }, body: `secondary ${r.method} ${r.path}` }),
    });
    // Nothing listens there: a port outside the ephemeral range, so no other test's socket takes it.
    [deadPort] = (await freePorts(1)) as [number];
    const o = (distribution(primary.port).origins as Array<Record<string, unknown>>)[0]!;
    te = await startTestEdge({
      configs: [
        distribution(primary.port, {
          origins: [
            { ...o, id: 'primary' },
            { ...o, id: 'secondary', port: secondary.port },
            { ...o, id: 'dead', port: deadPort },
          ],
          originGroups: [
            { id: 'group', members: ['primary', 'secondary'], failoverCriteria: { statusCodes: [500, 502, 503, 504] } },
            { id: 'dead-group', members: ['dead', 'secondary'], failoverCriteria: { statusCodes: [503] } },
          ],
          defaultCacheBehavior: {
            targetOriginId: 'group',
            cachePolicy: 'CachingDisabled',
            allowedMethods: ALL_METHODS,
          },
          cacheBehaviors: [{ pathPattern: '/dead/*', targetOriginId: 'dead-group', cachePolicy: 'CachingOptimized' }],
        }),
      ],
      runtime: nullRuntime,
    });
  });
  after(async () => {
    await te.close();
    await primary.close();
    await secondary.close();
  });

  test('a failover status from the primary: the secondary serves, primary asked first', async () => {
    const r = await te.get('/fail');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'secondary GET /fail');
    assert.equal(primary.count('/fail'), 1);
    assert.equal(secondary.count('/fail'), 1);
    await te.get('/fail');
    assert.equal(primary.count('/fail'), 2, 'no stickiness: every request tries the primary again');
  });

  test('a primary refusing connections: the secondary serves (and caches)', async () => {
    const r = await te.get('/dead/page');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'secondary GET /dead/page');
    assert.equal((await te.get('/dead/page')).header('x-cache'), 'Hit from verge');
    assert.equal(secondary.count('/dead/page'), 1);
  });

  test('a status outside the criteria is returned as is', async () => {
    const r = await te.get('/teapot');
    assert.equal(r.status, 418);
    assert.equal(r.text, 'primary 418');
    const m = await te.get('/missing');
    assert.equal(m.status, 404);
    assert.equal(secondary.count('/teapot') + secondary.count('/missing'), 0);
  });

  test('POST does not fail over; HEAD and OPTIONS do', async () => {
    const r = await te.request('/post', { method: 'POST', body: 'x=1', headers: { 'content-type': 'text/plain' } });
    assert.equal(r.status, 503);
    assert.equal(r.text, 'primary 503 to POST');
    assert.equal(secondary.count('/post'), 0);
    const head = await te.request('/fail', { method: 'HEAD' });
    assert.equal(head.status, 200);
    const opt = await te.request('/fail', { method: 'OPTIONS' });
    assert.equal(opt.text, 'secondary OPTIONS /fail');
  });
});

describe('edge: custom error responses (spec 7.8)', () => {
  let app: ScriptedOrigin;
  let pages: ScriptedOrigin;
  let te: TestEdge;
  before(async () => {
    app = await startOrigin({
      '/missing': { status: 404, body: 'origin 404 body' },
      '/broken': { status: 500, body: 'origin 500 body' },
      '/no-page': { status: 403, headers: { 'cache-control': 'max-age=5' }, body: 'origin 403 body' },
    });
    pages = await startOrigin({
      '/errors/404.html': {
        headers: { 'content-type': 'text/html', 'cache-control': 'max-age=300' },
        body: '<h1>Not here</h1>',
      },
      '/errors/500.html': { headers: { 'content-type': 'text/html' }, body: '<h1>Oops</h1>' },
    });
    const o = (distribution(app.port).origins as Array<Record<string, unknown>>)[0]!;
    te = await startTestEdge({
      configs: [
        distribution(app.port, {
          origins: [o, { ...o, id: 'pages', port: pages.port }],
          cacheBehaviors: [{ pathPattern: '/errors/*', targetOriginId: 'pages', cachePolicy: 'CachingOptimized' }],
          customErrorResponses: [
            { errorCode: 404, responsePagePath: '/errors/404.html', responseCode: 200 },
            { errorCode: 500, responsePagePath: '/errors/500.html' },
            { errorCode: 403, responsePagePath: '/errors/403.html', responseCode: 200 },
          ],
        }),
      ],
      runtime: nullRuntime,
    });
  });
  after(async () => {
    await te.close();
    await app.close();
    await pages.close();
  });

  test('a 404 replaced by /errors/404.html from its own behavior, with responseCode 200', async () => {
    const r = await te.get('/missing');
    assert.equal(r.status, 200);
    assert.equal(r.text, '<h1>Not here</h1>');
    assert.equal(r.header('x-cache'), 'Error from verge');
    assert.equal(pages.count('/errors/404.html'), 1);
    assert.equal(app.count('/errors/404.html'), 0);
    const again = await te.get('/other-missing');
    assert.equal(again.status, 200);
    assert.equal(pages.count('/errors/404.html'), 1, 'the page itself is cached');
    // Spec 7.8: the log shows the substituted status with result type Error.
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      line = te.accessLog.find((l) => l['cs-uri-stem'] === '/missing');
      if (!line) await new Promise((res) => setTimeout(res, 10));
    }
    assert.equal(line?.['sc-status'], 200);
    assert.equal(line?.['x-edge-result-type'], 'Error');
  });

  test('without responseCode the original status is kept', async () => {
    const r = await te.get('/broken');
    assert.equal(r.status, 500);
    assert.equal(r.text, '<h1>Oops</h1>');
    assert.equal(r.header('x-cache'), 'Error from verge');
  });

  test('when the page itself cannot be fetched, the viewer gets the status of that fetch', async () => {
    const r = await te.get('/no-page');
    assert.equal(r.status, 404);
    assert.doesNotMatch(r.text, /origin 403 body/);
  });
});
