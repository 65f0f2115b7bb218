/**
 * @module test/scenarios/edge-badinput-requests
 * Bad input over raw sockets: CloudFront's request limits (request line + headers over 20,480
 * bytes → 413, URL over 8,192 → 414, GET with a body → 403; spec 0.1 and 4.3) and malformed
 * requests (bad request line, CR/LF or NUL inside a header value, both Content-Length and
 * Transfer-Encoding) get a 4xx, never reach the origin, and leave the edge serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { rawRequest } from '../harness/raw.js';

let origin: ScriptedOrigin;
let te: TestEdge;

before(async () => {
  origin = await startOrigin({
    '*': (req) => ({
      headers: { 'cache-control': 'no-store', 'content-type': 'text/plain' },
      body: `ok ${req.path.length}`,
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

/** A request whose request line plus headers is exactly `total` bytes (padding in one header). */
function sized(total: number, path = '/bad/size'): string {
  const head = `GET ${path} HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\nX-Pad: `;
  const tail = '\r\n\r\n';
  return head + 'p'.repeat(total - head.length - tail.length) + tail;
}

async function assertStillServing(): Promise<void> {
  const r = await te.get('/api/alive');
  assert.equal(r.status, 200);
  assert.equal(r.text, 'ok 10');
}

describe('CloudFront request limits (spec 0.1, 4.3)', () => {
  test('request line + headers over 20,480 bytes → 413, connection closed, origin untouched', async () => {
    const r = await rawRequest(te.url, sized(20_481 + 4096));
    assert.equal(r.status, 413);
    assert.equal(r.headers['x-cache'], 'Error from verge');
    assert.ok(r.closed, 'the edge closes the connection after a 413');
    assert.ok(r.headers['x-verge-request-id']);
    assert.ok(r.headers['x-verge-pop']);
    assert.equal(origin.count('/bad/size'), 0);
    await assertStillServing();
  });

  test('just under the header limit is served', async () => {
    const r = await rawRequest(te.url, sized(20_000, '/api/under'));
    assert.equal(r.status, 200);
    assert.equal(origin.count('/api/under'), 1);
  });

  test('a URL over 8,192 bytes → 414; 8,192 exactly is served', async () => {
    const long = '/api/' + 'u'.repeat(8_192 - 5 + 1);
    const r = await rawRequest(te.url, `GET ${long} HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n`);
    assert.equal(r.status, 414);
    assert.equal(r.headers['x-cache'], 'Error from verge');
    assert.ok(r.headers['x-verge-request-id']);
    assert.equal(origin.count(long), 0);
    const ok = '/api/' + 'u'.repeat(8_192 - 5);
    const r2 = await rawRequest(te.url, `GET ${ok} HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n`);
    assert.equal(r2.status, 200);
    assert.equal(r2.body, `ok ${ok.length}`);
  });

  test('a URL over 8,192 bytes counting the query string → 414', async () => {
    const target = '/api/q?' + 'x=' + 'y'.repeat(8_200);
    const r = await rawRequest(te.url, `GET ${target} HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n`);
    assert.equal(r.status, 414);
    assert.equal(origin.count('/api/q'), 0);
  });

  test('GET with a body → 403 (Content-Length and chunked), origin untouched', async () => {
    const r = await rawRequest(
      te.url,
      'GET /api/body HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello',
    );
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-cache'], 'Error from verge');
    const c = await rawRequest(
      te.url,
      'GET /api/body HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    );
    assert.equal(c.status, 403);
    assert.equal(origin.count('/api/body'), 0);
    // An explicit empty body is no body.
    const e = await rawRequest(
      te.url,
      'GET /api/body HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    );
    assert.equal(e.status, 200);
  });
});

describe('malformed requests → 4xx, never the origin', () => {
  const cases: Array<[string, string]> = [
    ['a bad request line', 'GARBAGE\r\n\r\n'],
    ['a request line with no version', 'GET /bad/line\r\nHost: test.local\r\n\r\n'],
    ['a bare CR inside a header value', 'GET /bad/cr HTTP/1.1\r\nHost: test.local\r\nX-A: one\rtwo\r\n\r\n'],
    ['a NUL inside a header value', 'GET /bad/nul HTTP/1.1\r\nHost: test.local\r\nX-A: one\u0000two\r\n\r\n'],
    ['a space inside a header name', 'GET /bad/name HTTP/1.1\r\nHost: test.local\r\nX A: one\r\n\r\n'],
    [
      'both Content-Length and Transfer-Encoding',
      'POST /api/smuggle HTTP/1.1\r\nHost: test.local\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/smuggled HTTP/1.1\r\nHost: test.local\r\n\r\n',
    ],
    [
      'two different Content-Length values',
      'POST /api/cl HTTP/1.1\r\nHost: test.local\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    ],
    ['a non-numeric Content-Length', 'POST /api/cl2 HTTP/1.1\r\nHost: test.local\r\nContent-Length: 3x\r\n\r\nabc'],
    ['a negative Content-Length', 'POST /api/cl3 HTTP/1.1\r\nHost: test.local\r\nContent-Length: -1\r\n\r\nabc'],
    [
      'a Transfer-Encoding that does not end in chunked',
      'POST /api/te HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: gzip\r\n\r\nabc',
    ],
    [
      'a bad chunk size',
      'POST /api/te2 HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    ],
  ];
  for (const [name, data] of cases) {
    test(name, async () => {
      const before = origin.requests.length;
      const r = await rawRequest(te.url, data);
      assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}: ${r.raw.slice(0, 80)}`);
      assert.ok(r.closed, 'the edge closes the connection');
      assert.equal(r.headers['x-cache'], 'Error from verge');
      assert.match(r.headers['x-verge-request-id'] ?? '', /^\S{8,}$/, 'every response carries a request id');
      assert.match(r.headers['via'] ?? '', /Verge/);
      assert.equal(origin.requests.length, before, 'nothing reached the origin');
      await assertStillServing();
    });
  }

  test('CONNECT gets 403 with the edge headers (no behavior allows it)', async () => {
    const before = origin.requests.length;
    const r = await rawRequest(te.url, 'CONNECT test.local:443 HTTP/1.1\r\nHost: test.local:443\r\n\r\n');
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-cache'], 'Error from verge');
    assert.ok(r.headers['x-verge-request-id']);
    assert.equal(origin.requests.length, before);
    await assertStillServing();
  });

  test('methods the parser knows but no behavior allows get 403; unknown ones 400', async () => {
    for (const m of ['PURGE', 'TRACE', 'PROPFIND']) {
      const r = await rawRequest(te.url, `${m} /api/m HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n`);
      assert.equal(r.status, 403, m);
    }
    const r = await rawRequest(te.url, 'FOO /api/m HTTP/1.1\r\nHost: test.local\r\n\r\n');
    assert.equal(r.status, 400);
    assert.equal(origin.count('/api/m'), 0);
  });

  test('CR/LF injected in a header value is refused with 400 and never reaches the origin', async () => {
    // A bare LF ends the line for lenient parsers, which would hand the origin an extra
    // X-Injected header; the edge parses strictly and refuses the request instead.
    const before = origin.requests.length;
    const r = await rawRequest(
      te.url,
      'GET /api/lf HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\nX-A: one\nX-Injected: yes\r\n\r\n',
    );
    assert.equal(r.status, 400, `status ${r.status}: ${r.raw.slice(0, 80)}`);
    assert.equal(r.headers['x-cache'], 'Error from verge');
    assert.equal(origin.requests.length, before, 'nothing reached the origin');
    assert.equal(origin.count('/api/lf'), 0);
    await assertStillServing();
  });

  test('a flood of bad requests leaves the edge serving and the origin unvisited', async () => {
    const before = origin.requests.length;
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => rawRequest(te.url, `BAD${i} \u0001\r\n\r\n`)));
    for (const r of all) assert.equal(r.status, 400);
    assert.equal(origin.requests.length, before);
    await assertStillServing();
  });
});
