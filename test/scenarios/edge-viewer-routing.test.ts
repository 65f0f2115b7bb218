/**
 * @module test/scenarios/edge-viewer-routing
 * Viewer side: the distribution is chosen by Host (two distributions, two origins), unknown and
 * disabled distributions answer 403, the viewer protocol policy redirects or refuses plain HTTP
 * (spec 0.4), and a behavior's allowed methods are enforced. Nothing refused reaches an origin.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { rawRequest } from '../harness/raw.js';

let a: ScriptedOrigin;
let b: ScriptedOrigin;
let te: TestEdge;

before(async () => {
  a = await startOrigin({ '*': (req) => ({ headers: { 'cache-control': 'max-age=60' }, body: `A ${req.url}` }) });
  b = await startOrigin({ '*': (req) => ({ headers: { 'cache-control': 'max-age=60' }, body: `B ${req.url}` }) });
  te = await startTestEdge({
    configs: [
      distribution(a.port, {
        id: 'dist-a',
        aliases: ['a.test', 'www.a.test'],
        cacheBehaviors: [
          {
            pathPattern: '/secure/*',
            targetOriginId: 'o1',
            viewerProtocolPolicy: 'redirect-to-https',
            allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
          },
          { pathPattern: '/only-https/*', targetOriginId: 'o1', viewerProtocolPolicy: 'https-only' },
          {
            pathPattern: '/api/*',
            targetOriginId: 'o1',
            cachePolicy: 'CachingDisabled',
            allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
          },
        ],
      }),
      distribution(b.port, { id: 'dist-b', aliases: ['b.test'] }),
      distribution(b.port, { id: 'dist-off', aliases: ['off.test'], enabled: false }),
    ],
  });
});

after(async () => {
  await te.close();
  await a.close();
  await b.close();
});

describe('distribution by Host', () => {
  test('each host reaches its own origin, and the second request is a hit', async () => {
    const ra = await te.get('/page', { host: 'a.test' });
    const rb = await te.get('/page', { host: 'b.test' });
    assert.equal(ra.status, 200);
    assert.equal(ra.text, 'A /page');
    assert.equal(rb.text, 'B /page');
    assert.equal(ra.header('x-cache'), 'Miss from verge');
    assert.equal(a.count('/page'), 1);
    assert.equal(b.count('/page'), 1);
    // Same path, other distribution: the caches are separate, and each one hits now.
    const ra2 = await te.get('/page', { host: 'a.test' });
    const rb2 = await te.get('/page', { host: 'b.test' });
    assert.equal(ra2.text, 'A /page');
    assert.equal(rb2.text, 'B /page');
    assert.equal(ra2.header('x-cache'), 'Hit from verge');
    assert.equal(rb2.header('x-cache'), 'Hit from verge');
    assert.equal(a.count('/page'), 1);
    assert.equal(b.count('/page'), 1);
  });

  test('a second alias, a port in Host and upper case pick the same distribution', async () => {
    const r1 = await te.get('/alias', { host: 'www.a.test' });
    const r2 = await te.get('/alias', { host: 'A.TEST:8080' });
    assert.equal(r1.text, 'A /alias');
    assert.equal(r2.text, 'A /alias');
    assert.equal(r2.header('x-cache'), 'Hit from verge');
    assert.equal(a.count('/alias'), 1);
  });

  test('an unknown host gets 403 with the edge headers, and no origin sees it', async () => {
    const before = a.requests.length + b.requests.length;
    const r = await te.get('/x', { host: 'nobody.test' });
    assert.equal(r.status, 403);
    assert.equal(r.header('x-cache'), 'Error from verge');
    assert.match(r.text, /No distribution is configured/);
    assert.ok(r.header('x-verge-request-id'));
    assert.match(r.text, new RegExp(`Request ID: ${r.header('x-verge-request-id')}`));
    assert.equal(a.requests.length + b.requests.length, before);
  });

  test('a disabled distribution answers 403 without reaching its origin', async () => {
    const before = b.requests.length;
    const r = await te.get('/x', { host: 'off.test' });
    assert.equal(r.status, 403);
    assert.equal(r.header('x-cache'), 'Error from verge');
    assert.equal(b.requests.length, before);
  });
});

describe('viewer protocol policy (spec 0.4)', () => {
  test('redirect-to-https: GET and HEAD get 301 to the https URL, query kept', async () => {
    const r = await te.get('/secure/a?x=1&y=2', { host: 'a.test' });
    assert.equal(r.status, 301);
    // No TLS listener configured: the https port is the default 443, so no port in the URL.
    assert.equal(r.header('location'), 'https://a.test/secure/a?x=1&y=2');
    assert.equal(r.header('x-cache'), 'Redirect from verge');
    const h = await te.request('/secure/a', { host: 'a.test', method: 'HEAD' });
    assert.equal(h.status, 301);
    assert.equal(a.count('/secure/a'), 0);
  });

  test('redirect-to-https: POST over HTTP/1.1 gets 307 (method and body preserved by the client)', async () => {
    const r = await te.request('/secure/form', {
      host: 'a.test',
      method: 'POST',
      body: 'x=1',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(r.status, 307);
    assert.equal(r.header('location'), 'https://a.test/secure/form');
    assert.equal(a.count('/secure/form'), 0);
  });

  test('redirect-to-https: POST over HTTP/1.0 gets 403 (it cannot be redirected safely)', async () => {
    const r = await rawRequest(te.url, 'POST /secure/form HTTP/1.0\r\nHost: a.test\r\nContent-Length: 3\r\n\r\nx=1');
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-cache'], 'Error from verge');
    assert.equal(a.count('/secure/form'), 0);
  });

  test('redirect-to-https: GET over HTTP/1.0 is still redirected', async () => {
    const r = await rawRequest(te.url, 'GET /secure/old HTTP/1.0\r\nHost: a.test\r\n\r\n');
    assert.equal(r.status, 301);
    assert.equal(r.headers['location'], 'https://a.test/secure/old');
  });

  test('https-only: plain HTTP gets 403', async () => {
    const r = await te.get('/only-https/a', { host: 'a.test' });
    assert.equal(r.status, 403);
    assert.equal(r.header('x-cache'), 'Error from verge');
    assert.equal(a.count('/only-https/a'), 0);
  });
});

describe('allowed methods', () => {
  test('POST to a GET,HEAD behavior gets 403 and never reaches the origin', async () => {
    const r = await te.request('/plain', { host: 'a.test', method: 'POST', body: 'x' });
    assert.equal(r.status, 403);
    assert.equal(r.header('x-cache'), 'Error from verge');
    assert.match(r.text, /not configured to allow the HTTP request method/);
    for (const m of ['DELETE', 'OPTIONS', 'PUT']) {
      const x = await te.request('/plain', { host: 'a.test', method: m });
      assert.equal(x.status, 403, m);
    }
    assert.equal(a.count('/plain'), 0);
  });

  test('POST to an all-methods behavior reaches the origin with its body', async () => {
    const r = await te.request('/api/items', {
      host: 'a.test',
      method: 'POST',
      body: 'payload',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.text, 'A /api/items');
    const seen = a.requests.filter((q) => q.path === '/api/items');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.body.toString(), 'payload');
  });
});
