/**
 * @module test/scenarios/contain-slow-bodies
 * Issue 12, how long a viewer's body may take. No clock bounds an upload's total time (HTTP/1
 * had Node's 60 s whole-request timeout, which cut any longer upload whatever the body cap); a
 * body is bounded instead by whether it keeps moving, alike on HTTP/1 and HTTP/2: the idle
 * timeout between reads, and a minimum average rate after a grace period (408
 * REQUEST_BODY_TIMEOUT, the origin never answering a cut body). Headers must still arrive within
 * headersTimeout, an idle keep-alive connection still closes, and a body the edge never reads (a
 * tier request's) is not drained for as long as it trickles. The clocks are lowered here (grace
 * 1 s, 1 KiB/s, headers 1 s) so each case takes seconds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { missingCommand, needs } from '../harness/needs.js';

const KB = 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const noTls = needs(missingCommand('openssl', 'openssl', 'cannot make a test certificate'));

function makeCert(): { cert: Buffer; key: Buffer; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'verge-tls-'));
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
      ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=test.local'],
      ...['-addext', 'subjectAltName=DNS:test.local,IP:127.0.0.1'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')), dir };
}

/** A raw HTTP/1 connection: what it received, and whether (and when) the edge closed it. */
function openRaw(url: string): Promise<{ socket: Socket; answer: () => string; closed: Promise<number> }> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  let answer = '';
  const t0 = Date.now();
  socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - t0)));
  return new Promise((resolve) => socket.once('connect', () => resolve({ socket, answer: () => answer, closed })));
}

/** Write `total` bytes, `piece` at a time every `gapMs`, until done, `stop()` says so, or 6 s. */
async function pace(write: (b: Buffer) => void, total: number, piece: number, gapMs: number, stop: () => boolean) {
  let sent = 0;
  const deadline = Date.now() + 6000;
  while (sent < total && !stop() && Date.now() < deadline) {
    const n = Math.min(piece, total - sent);
    write(Buffer.alloc(n, 0x61));
    sent += n;
    if (sent < total) await sleep(gapMs);
  }
  return sent;
}

const tls = noTls ? null : makeCert();
let origin: ScriptedOrigin;
let te: TestEdge;

before(async () => {
  origin = await startOrigin({ '*': (r) => ({ body: `got ${r.body.length} bytes` }) });
  te = await startTestEdge({
    configs: [
      distribution(origin.port, {
        cacheBehaviors: [
          {
            pathPattern: '/upload/*',
            targetOriginId: 'o1',
            cachePolicy: 'CachingDisabled',
            allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
          },
        ],
      }),
    ],
    bodyIdleTimeoutMs: 1000,
    bodyMinRateGraceMs: 1000,
    bodyMinRateBytesPerSec: KB,
    http1Timeouts: { headersTimeout: 1000, keepAliveTimeout: 500, connectionsCheckingInterval: 100 },
    // A regional edge cache also answers tier requests, a path that never reads a body.
    role: 'regional',
    tierSecret: 'tier-secret',
    ...(tls ? { tls: { cert: tls.cert, key: tls.key }, httpsPort: 0 } : {}),
  });
});

after(async () => {
  await te?.close();
  await origin?.close();
  if (tls) rmSync(tls.dir, { recursive: true, force: true });
});

const logOf = (path: string) => te.accessLog.find((l) => l['cs-uri-stem'] === path);

describe('viewer bodies: no total-time cut, a floor on the rate', () => {
  test('HTTP/1: an upload that keeps moving for 4 s (4x the headers timeout) reaches the origin whole', async () => {
    const c = await openRaw(te.url);
    const total = 400 * KB;
    c.socket.write(`PUT /upload/long HTTP/1.1\r\nHost: test.local\r\nContent-Length: ${total}\r\n\r\n`);
    // 100 KiB/s for 4 s: far over the floor, and longer than every clock but the body's own.
    const sent = await pace(
      (b) => c.socket.write(b),
      total,
      10 * KB,
      100,
      () => c.answer().length > 0,
    );
    for (let i = 0; i < 100 && !/\r\n\r\n.*got/s.test(c.answer()); i++) await sleep(20);
    c.socket.destroy();
    assert.equal(sent, total, `the edge answered after ${sent} bytes: ${c.answer().slice(0, 60)}`);
    assert.match(c.answer(), /^HTTP\/1\.1 200 /);
    assert.match(c.answer(), new RegExp(`got ${total} bytes`));
    assert.equal(origin.count('/upload/long'), 1);
  });

  test('HTTP/1: a trickle under the floor after the grace: 408, logged, the origin never answers it', async () => {
    const c = await openRaw(te.url);
    c.socket.write('PUT /upload/trickle HTTP/1.1\r\nHost: test.local\r\nContent-Length: 100000\r\n\r\n');
    // 100 bytes every 200 ms: 500 B/s, under 1 KiB/s, yet never idle for the 1 s idle timeout.
    // Without the floor it would run the whole 6 s, then idle out with another reason.
    await pace(
      (b) => c.socket.write(b),
      100_000,
      100,
      200,
      () => c.socket.destroyed || c.answer().length > 0,
    );
    await Promise.race([c.closed, sleep(3000)]);
    c.socket.destroy();
    assert.match(c.answer(), /^HTTP\/1\.1 408 /);
    const line = logOf('/upload/trickle');
    assert.equal(line?.['x-edge-detailed-result-type'], 'ClientCommError');
    assert.match(String(line?.['x-edge-error']), /REQUEST_BODY_TIMEOUT.*slower than 1024 bytes\/s/);
    assert.equal(origin.count('/upload/trickle'), 0, 'the origin never got a whole request');
  });

  test(
    'HTTP/2: the same trickle is answered 408 or reset, and the origin never answers it',
    { skip: noTls },
    async () => {
      const session = h2connect(te.edge.httpsUrl!, { ca: tls!.cert, servername: 'test.local' });
      session.on('error', () => {});
      try {
        const req = session.request(
          { ':method': 'PUT', ':path': '/upload/h2-trickle', ':authority': 'test.local', 'content-length': '100000' },
          { endStream: false },
        );
        let status = 0;
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('error', () => {});
        req.resume();
        // Without the floor nothing ends it: the 6 s of trickle pass unanswered.
        await pace(
          (b) => req.write(b),
          100_000,
          100,
          200,
          () => req.closed || status !== 0,
        );
        assert.equal(status, 408);
        const line = logOf('/upload/h2-trickle');
        assert.match(String(line?.['x-edge-error']), /REQUEST_BODY_TIMEOUT.*slower than 1024 bytes\/s/);
        assert.equal(origin.count('/upload/h2-trickle'), 0);
      } finally {
        session.destroy();
      }
    },
  );

  test('HTTP/1: headers that trickle are still cut by headersTimeout', async () => {
    const c = await openRaw(te.url);
    c.socket.write('GET /slowloris HTTP/1.1\r\nHost: test.local\r\n');
    const stop = { now: false };
    // One header line every 200 ms, for up to 6 s: never idle, never done.
    void pace(
      () => c.socket.write('X-A: b\r\n'),
      60,
      1,
      200,
      () => stop.now || c.socket.destroyed,
    );
    const at = await Promise.race([c.closed, sleep(6000).then(() => -1)]);
    stop.now = true;
    c.socket.destroy();
    assert.ok(at > 0, 'the connection sending headers for 6 s was not closed');
    assert.match(c.answer(), /^HTTP\/1\.1 408 /);
  });

  test('HTTP/1: a request without a body is done with its headers; an idle keep-alive connection closes', async () => {
    const c = await openRaw(te.url);
    c.socket.write('GET /upload/ka HTTP/1.1\r\nHost: test.local\r\n\r\n');
    const at = await Promise.race([c.closed, sleep(5000).then(() => -1)]);
    c.socket.destroy();
    assert.match(c.answer(), /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(c.answer(), /connection: close/i);
    assert.ok(at > 0, 'the idle keep-alive connection was still open after 5 s');
  });

  test('HTTP/1: a tier request with a body it never reads is answered, then the connection closes', async () => {
    const c = await openRaw(te.url);
    c.socket.write(
      'GET /x HTTP/1.1\r\nHost: test.local\r\nX-Verge-Tier-Target: o1\r\nX-Verge-Tier-Auth: not-the-secret\r\n' +
        'Content-Length: 100000\r\n\r\n',
    );
    // The body trickles on, a byte every 200 ms: without the lingering close Node would drain it
    // after the answer as long as it keeps coming (no whole-request timeout, and never idle for
    // the keep-alive timeout); with it, the edge answers and closes its side at once.
    void pace(
      (b) => c.socket.write(b),
      100_000,
      1,
      200,
      () => c.socket.destroyed || c.socket.readableEnded,
    );
    const at = await Promise.race([c.closed, sleep(5000).then(() => -1)]);
    c.socket.destroy();
    assert.match(c.answer(), /^HTTP\/1\.1 403 /);
    assert.ok(at > 0, 'the connection with a trickling unread body was still open after 5 s');
  });
});
