/**
 * @module test/scenarios/edge-badinput-clients
 * Viewers that misbehave at the connection level: hanging up while the origin is still
 * answering, sending a body shorter than its Content-Length and disappearing, or sending half a
 * request line. The edge must not crash or leak the transaction; a fetch the viewer abandoned
 * still fills the cache (CloudFront keeps fetching), and the edge keeps serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

let origin: ScriptedOrigin;
let te: TestEdge;

before(async () => {
  origin = await startOrigin({
    '/slow': { delayMs: 150, headers: { 'cache-control': 'max-age=600' }, body: 'slow object' },
    '*': (req) => ({ headers: { 'cache-control': 'no-store' }, body: `ok ${req.path} ${req.body.length}` }),
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

/** Open a connection, write `data`, then close it after `closeAfterMs` without reading. */
function sendAndHangUp(data: string, closeAfterMs: number): Promise<void> {
  const { hostname, port } = new URL(te.url);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port) }, () => {
      s.write(data);
      setTimeout(() => {
        s.destroy();
        resolve();
      }, closeAfterMs);
    });
    s.on('error', () => resolve());
  });
}

/** Poll (bounded) until `cond` holds. */
async function until(cond: () => boolean): Promise<boolean> {
  for (let i = 0; i < 150 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  return cond();
}

describe('viewers that hang up', () => {
  test('a viewer gone before the origin answers: no crash, the object is still cached', async () => {
    await sendAndHangUp('GET /slow HTTP/1.1\r\nHost: test.local\r\n\r\n', 20);
    assert.ok(
      await until(() => te.accessLog.some((l) => l['cs-uri-stem'] === '/slow')),
      'the abandoned request is logged',
    );
    const r = await te.get('/slow');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'slow object');
    assert.equal(r.header('x-cache'), 'Hit from verge');
    assert.equal(origin.count('/slow'), 1);
  });

  test('a body shorter than its Content-Length, then a hang-up: nothing reaches the origin', async () => {
    await sendAndHangUp('POST /api/short HTTP/1.1\r\nHost: test.local\r\nContent-Length: 100\r\n\r\nonly-a-bit', 50);
    await sendAndHangUp(
      'POST /api/short HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n64\r\nabc',
      50,
    );
    const r = await te.get('/api/after-short');
    assert.equal(r.status, 200);
    assert.equal(origin.count('/api/short'), 0);
  });

  test('half a request line, then a hang-up', async () => {
    await sendAndHangUp('GET /api/ha', 30);
    await sendAndHangUp('GET /api/half HTTP/1.1\r\nHost: te', 30);
    assert.equal((await te.get('/api/after-half')).status, 200);
    assert.equal(origin.count('/api/half'), 0);
  });

  test('many viewers hanging up at once leave the edge serving', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sendAndHangUp(`GET /api/burst${i} HTTP/1.1\r\nHost: test.local\r\n\r\n`, i % 2 ? 0 : 5),
      ),
    );
    const r = await te.get('/api/after-burst');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'ok /api/after-burst 0');
  });

  test('none of this logged a pipeline crash', () => {
    const crashes = te.logs.lines.filter((l) => l.level === 'error');
    assert.deepEqual(crashes, []);
  });
});
