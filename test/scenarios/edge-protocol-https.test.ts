/**
 * @module test/scenarios/edge-protocol-https
 * HTTPS with HTTP/2 (ALPN) and HTTPS with HTTP/1.1 on the same listener, with a self-signed
 * certificate made by `openssl`: status, body and X-Cache over both; CloudFront-Forwarded-Proto,
 * CloudFront-Viewer-Http-Version and CloudFront-Viewer-TLS at the origin when the origin request
 * policy names them (spec 3.3); and the redirect-to-https round trip to the real HTTPS port.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { missingCommand, needs } from '../harness/needs.js';
import { rawRequest } from '../harness/raw.js';

/** A throwaway certificate; an openssl failure throws with its stderr (only its absence skips). */
function makeCert(): { cert: Buffer; key: Buffer; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'verge-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=test.local',
        '-addext',
        'subjectAltName=DNS:test.local,IP:127.0.0.1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')), dir };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

const skip = needs(missingCommand('openssl', 'openssl', 'cannot make a test certificate'));
const tls = skip ? null : makeCert();

let origin: ScriptedOrigin;
let te: TestEdge;
let h2: ClientHttp2Session;

interface H2Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function h2get(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const req = h2.request(
      { ':method': method, ':path': path, ':authority': 'test.local', ...headers },
      { endStream: body === undefined },
    );
    const chunks: Buffer[] = [];
    let status = 0;
    let hdrs: Record<string, string | string[] | undefined> = {};
    req.on('response', (h) => {
      status = Number(h[':status']);
      hdrs = h as Record<string, string | string[] | undefined>;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status, headers: hdrs, body: Buffer.concat(chunks) }));
    req.on('error', reject);
    req.setTimeout(5000, () => req.close());
    if (body !== undefined) req.end(body);
  });
}

function https11(
  path: string,
  host = 'test.local',
): Promise<{ status: number; headers: Record<string, unknown>; body: string; alpn: string }> {
  const u = new URL(te.edge.httpsUrl!);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: u.hostname,
        port: u.port,
        path,
        headers: { host },
        ca: tls!.cert,
        servername: 'test.local',
        agent: false,
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            alpn: String((res.socket as unknown as { alpnProtocol?: string }).alpnProtocol ?? ''),
          }),
        );
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

before(async () => {
  if (!tls) return;
  origin = await startOrigin({
    '*': (req) => ({
      headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain' },
      body: `hello ${req.path}`,
    }),
  });
  const forward = {
    name: 'proto',
    headers: { whitelist: ['CloudFront-Forwarded-Proto', 'CloudFront-Viewer-Http-Version', 'CloudFront-Viewer-TLS'] },
    cookies: 'none',
    queryStrings: 'none',
  };
  te = await startTestEdge({
    configs: [
      distribution(origin.port, {
        defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: 'CachingOptimized', originRequestPolicy: forward },
        cacheBehaviors: [
          { pathPattern: '/secure/*', targetOriginId: 'o1', viewerProtocolPolicy: 'redirect-to-https' },
          { pathPattern: '/only/*', targetOriginId: 'o1', viewerProtocolPolicy: 'https-only' },
          {
            pathPattern: '/api/*',
            targetOriginId: 'o1',
            cachePolicy: 'CachingDisabled',
            originRequestPolicy: forward,
            allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
          },
        ],
      }),
    ],
    tls: { cert: tls.cert, key: tls.key },
    httpsPort: 0,
  });
  h2 = connect(te.edge.httpsUrl!, { ca: tls.cert, servername: 'test.local' });
});

after(async () => {
  if (!tls) return;
  h2?.close();
  await te?.close();
  await origin?.close();
  rmSync(tls.dir, { recursive: true, force: true });
});

describe('HTTPS with HTTP/2 and HTTP/1.1', { skip }, () => {
  test('HTTP/2: status, body, X-Cache miss then hit, one origin fetch', async () => {
    const r1 = await h2get('/h2/page');
    assert.equal(r1.status, 200);
    assert.equal(r1.body.toString(), 'hello /h2/page');
    assert.equal(r1.headers['x-cache'], 'Miss from verge');
    assert.ok(r1.headers['x-verge-request-id']);
    assert.equal(r1.headers['content-length'], String('hello /h2/page'.length));
    // Via on viewer responses is "1.1 ..." even for HTTP/2 viewers (spec 7.10).
    assert.match(String(r1.headers['via']), /^1\.1 /);
    const r2 = await h2get('/h2/page');
    assert.equal(r2.status, 200);
    assert.equal(r2.headers['x-cache'], 'Hit from verge');
    assert.equal(r2.body.toString(), 'hello /h2/page');
    assert.equal(origin.count('/h2/page'), 1);
  });

  test('HTTP/2: the origin gets CloudFront-Forwarded-Proto https, HTTP version 2.0 and the TLS details', async () => {
    const r = await h2get('/api/proto');
    assert.equal(r.status, 200);
    const seen = origin.requests.filter((q) => q.path === '/api/proto');
    assert.equal(seen.length, 1);
    const h = seen[0]!.headers;
    assert.equal(h['cloudfront-forwarded-proto'], 'https');
    assert.equal(h['cloudfront-viewer-http-version'], '2.0');
    assert.match(
      String(h['cloudfront-viewer-tls']),
      /^TLSv1\.[23]:[A-Z0-9_-]+:(fullHandshake|sessionResumed|connectionReused)$/,
    );
    // Via on origin requests carries the viewer's version (spec 7.10).
    assert.match(String(h['via']), /^2\.0 /);
  });

  test('HTTP/2: HEAD has no body, a POST body reaches the origin, an error keeps the edge headers', async () => {
    const head = await h2get('/h2/head', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    const post = await h2get('/api/post', { 'content-type': 'text/plain' }, 'POST', 'h2 body');
    assert.equal(post.status, 200);
    const seen = origin.requests.filter((q) => q.path === '/api/post');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.body.toString(), 'h2 body');
    // A GET with DATA frames is a GET with a body (spec 0.1): 403, not forwarded.
    const getBody = await h2get('/h2/getbody', {}, 'GET', 'sneaky');
    assert.equal(getBody.status, 403);
    assert.equal(origin.count('/h2/getbody'), 0);
    const bad = await h2get('/x', { ':authority': 'nobody.test' });
    assert.equal(bad.status, 403);
    assert.equal(bad.headers['x-cache'], 'Error from verge');
    assert.ok(bad.headers['x-verge-request-id']);
  });

  test('HTTP/2 access-log line: protocol, version and TLS fields', async () => {
    const r = await h2get('/h2/logged');
    const id = r.headers['x-verge-request-id'];
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      line = te.accessLog.find((l) => l['x-edge-request-id'] === id);
      if (!line) await new Promise((res) => setTimeout(res, 20));
    }
    assert.ok(line, 'the request was logged');
    assert.equal(line['cs-protocol'], 'https');
    assert.equal(line['cs-protocol-version'], 'HTTP/2.0');
    assert.match(String(line['ssl-protocol']), /^TLSv1\.[23]$/);
    assert.notEqual(line['ssl-cipher'], '-');
    assert.equal(line['sc-status'], 200);
  });

  test('HTTPS over HTTP/1.1 (no ALPN h2): status, body, X-Cache, forwarded proto', async () => {
    const r = await https11('/api/h1');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello /api/h1');
    assert.equal(r.headers['x-cache'], 'Miss from verge');
    const seen = origin.requests.filter((q) => q.path === '/api/h1');
    assert.equal(seen[0]!.headers['cloudfront-forwarded-proto'], 'https');
    assert.equal(seen[0]!.headers['cloudfront-viewer-http-version'], '1.1');
  });

  test('plain HTTP on the same edge forwards proto http; https-only is served over HTTPS', async () => {
    const r = await te.get('/api/plain');
    assert.equal(r.status, 200);
    const seen = origin.requests.filter((q) => q.path === '/api/plain');
    assert.equal(seen[0]!.headers['cloudfront-forwarded-proto'], 'http');
    assert.equal(seen[0]!.headers['cloudfront-viewer-tls'], undefined);
    assert.equal((await te.get('/only/x')).status, 403);
    const ok = await h2get('/only/x');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), 'hello /only/x');
  });

  test('HTTPS/1.1 has the same request limits and parser checks as plain HTTP', async () => {
    const pad = (total: number, path: string) => {
      const head = `GET ${path} HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\nX-Pad: `;
      return head + 'p'.repeat(total - head.length - 4) + '\r\n\r\n';
    };
    const under = await rawRequest(te.edge.httpsUrl!, pad(20_000, '/api/tls-under'));
    assert.equal(under.status, 200);
    const over = await rawRequest(te.edge.httpsUrl!, pad(24_000, '/api/tls-over'));
    assert.equal(over.status, 413);
    const bad = await rawRequest(te.edge.httpsUrl!, 'GARBAGE\r\n\r\n');
    assert.equal(bad.status, 400);
    const v09 = await rawRequest(te.edge.httpsUrl!, 'GET /api/tls-09\r\nHost: test.local\r\n\r\n');
    assert.equal(v09.status, 400);
    assert.equal(origin.count('/api/tls-over') + origin.count('/api/tls-09'), 0);
  });

  test('HTTP/2: headers over 20,480 bytes → 413 with the edge headers; under is served; the session survives', async () => {
    const under = await h2get('/api/h2-under', { 'x-pad': 'p'.repeat(19_000) });
    assert.equal(under.status, 200);
    const over = await h2get('/api/h2-over', { 'x-pad': 'p'.repeat(24_000) });
    assert.equal(over.status, 413);
    assert.equal(over.headers['x-cache'], 'Error from verge');
    assert.ok(over.headers['x-verge-request-id']);
    assert.equal(origin.count('/api/h2-over'), 0);
    const long = await h2get('/api/' + 'u'.repeat(9_000));
    assert.equal(long.status, 414);
    assert.equal((await h2get('/api/h2-after')).status, 200);
  });

  test(
    'HTTP/2: a 50 MB PUT to a GET-only behavior is refused unread, its 403 whole; the session survives',
    { timeout: 60_000 },
    async () => {
      const chunk = Buffer.alloc(1024 * 1024, 0x62);
      const r = await new Promise<{ status: number; body: string; sent: number; code: number }>((resolve, reject) => {
        const req = h2.request(
          { ':method': 'PUT', ':path': '/h2/put-refused', ':authority': 'test.local' },
          { endStream: false },
        );
        let status = 0;
        let sent = 0;
        let body = '';
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('close', () => resolve({ status, body, sent, code: req.rstCode ?? 0 }));
        req.on('error', reject);
        const pump = () => {
          // Stop once answered; the edge's flow control holds the rest back anyway.
          while (status === 0 && sent < 50 * 1024 * 1024 && !req.closed) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
        };
        pump();
      });
      assert.equal(r.status, 403);
      assert.match(r.body, /could not be satisfied/i, 'the error page arrives whole');
      assert.ok(r.sent < 50 * 1024 * 1024, 'answered before the body was sent');
      assert.equal(r.code, 0, 'the stream ends with NO_ERROR');
      assert.equal(origin.count('/h2/put-refused'), 0);
      assert.equal((await h2get('/api/h2-after-put')).status, 200, 'the session is still usable');
    },
  );

  test('redirect-to-https points at the real HTTPS port, and following it is served', async () => {
    const r = await te.get('/secure/doc?a=1');
    assert.equal(r.status, 301);
    const port = new URL(te.edge.httpsUrl!).port;
    assert.equal(r.header('location'), `https://test.local:${port}/secure/doc?a=1`);
    const loc = new URL(r.header('location')!);
    const followed = await h2get(loc.pathname + loc.search);
    assert.equal(followed.status, 200);
    assert.equal(followed.body.toString(), 'hello /secure/doc');
  });
});

describe('closing an HTTPS edge', { skip }, () => {
  test('close() ends HTTP/2 sessions a viewer keeps open instead of waiting for them for ever', async () => {
    const second = await startTestEdge({
      configs: [distribution(origin.port)],
      tls: { cert: tls!.cert, key: tls!.key },
      httpsPort: 0,
    });
    const session = connect(second.edge.httpsUrl!, { ca: tls!.cert, servername: 'test.local' });
    session.on('error', () => {});
    const sessionClosed = new Promise<string>((r) => session.once('close', () => r('session closed')));
    const stream = session.request({ ':path': '/kept-open', host: 'test.local' });
    const status = await new Promise<number>((r, j) => {
      stream.once('response', (h) => r(Number(h[':status'])));
      stream.once('error', j);
    });
    stream.resume();
    assert.equal(status, 200);
    // The viewer never closes its session. 5 s is a liveness bound, not a speed one: before the
    // fix close() waited on the session for ever.
    const waited = (p: Promise<unknown>) =>
      Promise.race([
        p.then(() => 'settled'),
        new Promise<string>((r) => setTimeout(() => r('still waiting'), 5000).unref()),
      ]);
    assert.equal(await waited(second.close()), 'settled');
    assert.equal(await waited(sessionClosed), 'settled');
  });
});
