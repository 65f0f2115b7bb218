/**
 * @module test/scenarios/edge-protocol-http1
 * HTTP/1.x details between the viewer and the edge: Host rules (RFC 9112 3.2: exactly one valid
 * Host on HTTP/1.1, absolute-form targets), HEAD keeps the Content-Length of the GET response,
 * pipelined requests are answered in order, `Expect: 100-continue`, what the origin gets for
 * X-Forwarded-For / X-Forwarded-Proto (spec 7.12) and for headers named in Connection (RFC 9110
 * 7.6.1), and 505 for a text request line claiming HTTP/2.0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { rawRequest } from '../harness/raw.js';

let origin: ScriptedOrigin;
let te: TestEdge;
const BODY = 'h'.repeat(1234);

before(async () => {
  origin = await startOrigin({
    '*': (req) => ({
      headers: { 'cache-control': 'max-age=60', 'content-type': 'application/octet-stream' },
      body: `${BODY}${req.path}`,
    }),
  });
  te = await startTestEdge({
    configs: [
      distribution(origin.port, {
        cacheBehaviors: [
          {
            pathPattern: '/api/*',
            targetOriginId: 'o1',
            cachePolicy: 'CachingDisabled',
            originRequestPolicy: 'AllViewerExceptHostHeader',
            allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
          },
        ],
      }),
    ],
  });
});

after(async () => {
  await te.close();
  await origin.close();
});

const line = (target: string, host: string | null, extra = '') =>
  `GET ${target} HTTP/1.1\r\n${host === null ? '' : `Host: ${host}\r\n`}${extra}Connection: close\r\n\r\n`;

describe('Host (RFC 9112 3.2)', () => {
  test('two Host lines → 400, never routed by either', async () => {
    const r = await rawRequest(te.url, line('/dup', 'test.local', 'Host: other.local\r\n'));
    assert.equal(r.status, 400);
    assert.equal(r.headers['x-cache'], 'Error from verge');
    assert.ok(r.headers['x-verge-request-id']);
    assert.equal(origin.count('/dup'), 0);
  });

  test('HTTP/1.1 without Host → 400 with the edge headers; HTTP/1.0 without Host → 403 (no distribution)', async () => {
    const r = await rawRequest(te.url, line('/nohost', null));
    assert.equal(r.status, 400);
    assert.ok(r.headers['x-verge-request-id']);
    assert.match(r.headers['via'] ?? '', /Verge/);
    const r10 = await rawRequest(te.url, 'GET /nohost HTTP/1.0\r\n\r\n');
    assert.equal(r10.status, 403);
    assert.equal(origin.count('/nohost'), 0);
  });

  test('an invalid Host value → 400', async () => {
    for (const host of ['test.local:abc', 'test.local/evil', 'a b', 'user@test.local']) {
      const r = await rawRequest(te.url, line('/badhost', host));
      assert.equal(r.status, 400, host);
    }
    assert.equal(origin.count('/badhost'), 0);
  });

  test('absolute-form: the target authority picks the distribution, not the Host header', async () => {
    const r = await rawRequest(te.url, line('http://test.local/abs?q=1', 'nobody.local'));
    assert.equal(r.status, 200);
    assert.equal(r.body, `${BODY}/abs`);
    const seen = origin.requests.filter((q) => q.path === '/abs');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.url, '/abs', 'CachingOptimized forwards no query string');
    const other = await rawRequest(te.url, line('http://nobody.local/abs', 'test.local'));
    assert.equal(other.status, 403);
  });
});

test('request targets that are neither a path nor an http(s) URL → 400', async () => {
  const before = origin.requests.length;
  for (const target of ['x', '*', 'test.local:80', 'ftp://test.local/f']) {
    const method = target === '*' ? 'OPTIONS' : 'GET';
    const r = await rawRequest(te.url, `${method} ${target} HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n`);
    assert.equal(r.status, 400, target);
    assert.ok(r.headers['x-verge-request-id'], target);
  }
  assert.equal(origin.requests.length, before);
});

test('HTTP/2.0 in a text request line on the cleartext port → 505, never forwarded', async () => {
  const r = await rawRequest(te.url, 'GET /api/h2text HTTP/2.0\r\nHost: test.local\r\nConnection: close\r\n\r\n');
  assert.equal(r.status, 505);
  assert.equal(r.headers['x-cache'], 'Error from verge');
  assert.ok(r.headers['x-verge-request-id']);
  assert.equal(origin.count('/api/h2text'), 0);
  const ok = await rawRequest(te.url, 'GET /api/h1text HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n');
  assert.equal(ok.status, 200, 'HTTP/1.1 on the same port still works');
});

describe('HEAD, pipelining, 100-continue', () => {
  test('HEAD carries the GET Content-Length, cached or forwarded as HEAD', async () => {
    const fwd = await rawRequest(te.url, 'HEAD /api/head HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n');
    assert.equal(fwd.status, 200);
    assert.equal(fwd.headers['content-length'], String(BODY.length + '/api/head'.length));
    assert.equal(fwd.body, '');
    assert.equal(origin.requests.filter((q) => q.path === '/api/head')[0]!.method, 'HEAD');
    const cached = await te.request('/cached/head', { method: 'HEAD' });
    assert.equal(cached.status, 200);
    assert.equal(cached.header('content-length'), String(BODY.length + '/cached/head'.length));
    assert.equal(cached.body.length, 0);
    const get = await te.get('/cached/head');
    assert.equal(get.header('x-cache'), 'Hit from verge');
    assert.equal(get.body.length, BODY.length + '/cached/head'.length);
  });

  test('pipelined requests on one connection are answered in order', async () => {
    const r = await rawRequest(
      te.url,
      'GET /p1 HTTP/1.1\r\nHost: test.local\r\n\r\nGET /p2 HTTP/1.1\r\nHost: test.local\r\n\r\nGET /p3 HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n',
    );
    const statuses = r.raw.match(/HTTP\/1\.1 \d{3}/g) ?? [];
    assert.deepEqual(statuses, ['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200']);
    const order = [...r.raw.matchAll(/h(\/p\d)/g)].map((m) => m[1]);
    assert.deepEqual(order, ['/p1', '/p2', '/p3']);
  });

  test('Expect: 100-continue gets 100 and then the answer; the body reaches the origin', async () => {
    const r = await rawRequest(
      te.url,
      'POST /api/expect HTTP/1.1\r\nHost: test.local\r\nExpect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc',
    );
    assert.match(r.raw, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    const seen = origin.requests.filter((q) => q.path === '/api/expect');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.body.toString(), 'abc');
  });
});

describe('forwarding headers (spec 7.12)', () => {
  test('X-Forwarded-For gets the viewer IP appended; X-Forwarded-Proto is stripped', async () => {
    await te.get('/api/xff', { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' } });
    const h = origin.requests.filter((q) => q.path === '/api/xff')[0]!.headers;
    assert.equal(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
    assert.equal(h['x-forwarded-proto'], undefined);
    assert.match(String(h['via']), /^1\.1 .*Verge/);
  });

  test('headers the viewer names in Connection are not forwarded (RFC 9110 7.6.1); the rest are', async () => {
    const r = await rawRequest(
      te.url,
      'GET /api/conn HTTP/1.1\r\nHost: test.local\r\nX-Hop: secret\r\nX-Also-Hop: 2\r\nX-Kept: yes\r\n' +
        'X-Forwarded-For: 198.51.100.1\r\nConnection: X-Hop, x-also-hop, X-Forwarded-For, Host, close\r\n\r\n',
    );
    assert.equal(r.status, 200);
    const h = origin.requests.filter((q) => q.path === '/api/conn')[0]!.headers;
    assert.equal(h['x-hop'], undefined);
    assert.equal(h['x-also-hop'], undefined);
    assert.equal(h['connection'] ?? 'keep-alive', 'keep-alive', 'the viewer Connection header is not forwarded');
    assert.equal(h['x-kept'], 'yes');
    // The edge's own headers survive a Connection that names them.
    assert.match(String(h['host']), /127\.0\.0\.1/);
    assert.match(String(h['x-forwarded-for']), /127\.0\.0\.1$/);
  });
});
