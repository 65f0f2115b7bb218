/**
 * @module test/scenarios/edge-keepalive-bodies
 * Issue 12, request bodies on a long-lived connection: a viewer that sends many requests with
 * bodies over ONE keep-alive connection must not make the edge add a listener per request to
 * that connection's socket, nor to the kept-alive socket to the origin (a listener per request
 * never removed is memory that grows for as long as the connection lives; a PoP must stay within
 * its limits). The edge runs in this process, so the test sees both of its sockets
 * (diagnostics channels) and any MaxListenersExceededWarning the process emits. And a slow
 * upload: the origin's read timeout counts from when the body has been sent (as CloudFront's
 * response timeout counts from when the request was forwarded), not from the start of a long
 * upload, so a viewer slower than the read timeout still gets the origin's answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect, type Socket } from 'node:net';
import { Client } from 'undici';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

const REQUESTS = 50;
const BODY = Buffer.alloc(64 * 1024, 0x62);

/** An origin-request function that reads the body it is shown (the peek path) and passes it on. */
const PEEK_FN = `exports.handler = async (event) => {
  const r = event.Records[0].cf.request;
  r.headers['x-seen'] = [{ key: 'X-Seen', value: String(Buffer.from(r.body.data, 'base64').length) }];
  return r; };`;

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];

/** Every listener on an emitter, all events together. */
function listeners(s: Socket): number {
  return s.eventNames().reduce((n, e) => n + s.listenerCount(e), 0);
}

describe('request bodies over one keep-alive connection', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  const viewerSockets = new Set<Socket>();
  const originSockets = new Set<Socket>();
  const warnings: Error[] = [];
  const onWarning = (w: Error) => {
    if (w.name === 'MaxListenersExceededWarning') warnings.push(w);
  };
  const onRequest = (m: unknown) => {
    const s = (m as { socket: Socket }).socket;
    // The origin is an HTTP server in this process too; the edge's are the ones on its port.
    if (s.localPort === Number(new URL(te.url).port)) viewerSockets.add(s);
  };
  const onSend = (m: unknown) => {
    const s = (m as { socket?: Socket }).socket;
    // The test's own client publishes here too; the edge's sockets are the ones to the origin.
    if (s && s.remotePort === origin.port) originSockets.add(s);
  };

  before(async () => {
    origin = await startOrigin({ '*': (r) => ({ body: `got ${r.body.length}` }) });
    te = await startTestEdge({
      configs: [
        distribution(origin.port, {
          cacheBehaviors: [
            { pathPattern: '/upload/*', targetOriginId: 'o1', cachePolicy: 'CachingDisabled', allowedMethods: METHODS },
            {
              pathPattern: '/fn/*',
              targetOriginId: 'o1',
              cachePolicy: 'CachingDisabled',
              allowedMethods: METHODS,
              functionAssociations: [{ eventType: 'origin-request', function: './fn/peek.js', includeBody: true }],
            },
            // The same origin with the shortest read timeout CloudFront allows, for the slow upload.
            { pathPattern: '/slow/*', targetOriginId: 'o2', cachePolicy: 'CachingDisabled', allowedMethods: METHODS },
          ],
          origins: [
            { id: 'o1', domainName: '127.0.0.1', port: origin.port, protocol: 'http', readTimeout: 5 },
            { id: 'o2', domainName: '127.0.0.1', port: origin.port, protocol: 'http', readTimeout: 1 },
          ],
        }),
      ],
      files: { 'fn/peek.js': PEEK_FN },
    });
    process.on('warning', onWarning);
    subscribe('http.server.request.start', onRequest);
    subscribe('undici:client:sendHeaders', onSend);
  });
  after(async () => {
    unsubscribe('http.server.request.start', onRequest);
    unsubscribe('undici:client:sendHeaders', onSend);
    process.off('warning', onWarning);
    await te?.close();
    await origin?.close();
  });

  for (const path of ['/upload/x', '/fn/x']) {
    test(`${REQUESTS} POSTs with bodies to ${path}: the edge's sockets keep the same listeners`, async () => {
      viewerSockets.clear();
      originSockets.clear();
      const client = new Client(te.url, { pipelining: 1 });
      const counts: Array<{ viewer: number; origin: number }> = [];
      try {
        for (let i = 0; i < REQUESTS; i++) {
          const r = await client.request({ method: 'POST', path, headers: { host: 'test.local' }, body: BODY });
          const text = await r.body.text();
          assert.equal(
            r.statusCode,
            200,
            `${i}: ${r.statusCode} ${String(r.headers['x-cache'])} ${text.slice(0, 300)}`,
          );
          assert.match(text, new RegExp(`^got ${BODY.length}`));
          const [v] = viewerSockets;
          const [o] = originSockets;
          counts.push({ viewer: v ? listeners(v) : -1, origin: o ? listeners(o) : -1 });
        }
      } finally {
        await client.close();
      }
      // One connection on each side, reused by every request: otherwise this proves nothing.
      assert.equal(viewerSockets.size, 1, 'the viewer connection was not kept alive');
      assert.equal(originSockets.size, 1, 'the origin connection was not kept alive');
      // After the first few requests the count is settled; a per-request listener would climb by 45.
      const settled = counts[4]!;
      const last = counts[REQUESTS - 1]!;
      assert.ok(last.viewer <= settled.viewer, `viewer socket listeners ${settled.viewer} → ${last.viewer}`);
      assert.ok(last.origin <= settled.origin, `origin socket listeners ${settled.origin} → ${last.origin}`);
      assert.deepEqual(
        warnings.map((w) => w.message),
        [],
      );
    });
  }

  test('an upload slower than the origin read timeout, answered when its body ends: 200', async () => {
    const pieces = 10;
    const piece = Buffer.alloc(1000, 0x63);
    const socket = connect(Number(new URL(te.url).port), '127.0.0.1');
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.on('error', () => {});
    try {
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write(
        `POST /slow/upload HTTP/1.1\r\nHost: test.local\r\nContent-Length: ${pieces * piece.length}\r\n\r\n`,
      );
      // 10 pieces 250 ms apart: at least 2.5 s for a body whose origin read timeout is 1 s (and
      // far inside the edge's 10 s idle timeout between chunks).
      for (let i = 0; i < pieces; i++) {
        assert.equal(answer, '', `the edge answered before the body ended: ${answer.split('\r\n')[0]}`);
        socket.write(piece);
        await new Promise((r) => setTimeout(r, 250));
      }
      for (let i = 0; i < 500 && !/\r\n\r\n.*got/s.test(answer); i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      socket.destroy();
    }
    assert.match(answer, /^HTTP\/1\.1 200 /, answer.split('\r\n')[0]);
    assert.match(answer, new RegExp(`got ${pieces * piece.length}`));
  });
});
