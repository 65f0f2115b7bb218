/**
 * @module test/scenarios/edge-origin-http
 * Scenario tests for custom (HTTP) origins: one kept-alive connection for sequential misses,
 * `originPath`, `customHeaders`, Host (the origin's own name unless AllViewer forwards the
 * viewer's), `X-Forwarded-For` appended and `Via` (spec 7.3, 7.10, 7.12); and origin failures:
 * nothing listening → 502, a resetting or garbage-speaking origin → 502, with the edge still
 * serving other requests afterwards (spec 5.1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { freePorts } from '../harness/ports.js';

describe('edge origins: what the origin receives', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  before(async () => {
    origin = await startOrigin({ '*': (r) => ({ headers: { 'cache-control': 'max-age=60' }, body: `got ${r.url}` }) });
    const base = distribution(origin.port);
    const o = (base.origins as Array<Record<string, unknown>>)[0]!;
    te = await startTestEdge({
      configs: [
        distribution(origin.port, {
          origins: [
            { ...o, originPath: '/base', customHeaders: { 'X-Origin-Secret': 's3cret' } },
            { ...o, id: 'plain' },
          ],
          cacheBehaviors: [
            {
              pathPattern: '/all-viewer/*',
              targetOriginId: 'plain',
              cachePolicy: 'CachingOptimized',
              originRequestPolicy: 'AllViewer',
            },
            { pathPattern: '/plain/*', targetOriginId: 'plain', cachePolicy: 'CachingOptimized' },
          ],
        }),
      ],
      runtime: nullRuntime,
    });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  test('sequential misses reuse one kept-alive origin connection', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await te.get(`/plain/ka-${i}`)).header('x-cache'), 'Miss from verge');
    const ports = new Set(origin.requests.filter((r) => r.path.startsWith('/plain/ka-')).map((r) => r.remotePort));
    assert.equal(origin.requests.filter((r) => r.path.startsWith('/plain/ka-')).length, 5);
    assert.equal(ports.size, 1);
  });

  test('originPath is prepended and customHeaders are added', async () => {
    const r = await te.get('/x/y.txt');
    assert.equal(r.text, 'got /base/x/y.txt');
    const req = origin.requests.find((q) => q.path === '/base/x/y.txt')!;
    assert.equal(req.headers['x-origin-secret'], 's3cret');
    assert.equal(origin.requests.find((q) => q.path === '/plain/ka-0')!.headers['x-origin-secret'], undefined);
  });

  test("Host: the origin's own domainName, unless AllViewer forwards the viewer's", async () => {
    await te.get('/plain/host');
    const own = origin.requests.find((q) => q.path === '/plain/host')!;
    assert.match(String(own.headers.host), /^127\.0\.0\.1(:\d+)?$/);
    await te.get('/all-viewer/host');
    assert.equal(origin.requests.find((q) => q.path === '/all-viewer/host')!.headers.host, 'test.local');
  });

  test('X-Forwarded-For gets the viewer IP appended; Via names the edge both ways', async () => {
    const r = await te.get('/plain/xff', { headers: { 'x-forwarded-for': '203.0.113.7' } });
    const req = origin.requests.find((q) => q.path === '/plain/xff')!;
    assert.equal(req.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
    assert.match(String(req.headers.via), /^1\.1 local1\.verge \(Verge\)$/);
    assert.match(r.header('via') ?? '', /local1\.verge \(Verge\)/);
    await te.get('/plain/xff2');
    assert.equal(origin.requests.find((q) => q.path === '/plain/xff2')!.headers['x-forwarded-for'], '127.0.0.1');
  });
});

/** A raw TCP server that answers every connection with `onConnect`. */
async function rawServer(
  onConnect: (s: Socket) => void,
): Promise<{ port: number; server: Server; connections: () => number }> {
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.on('error', () => {});
    onConnect(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, server, connections: () => n };
}

describe('edge origins: failures become 502/504 and the edge keeps serving', () => {
  let good: ScriptedOrigin;
  let te: TestEdge;
  let garbage: Awaited<ReturnType<typeof rawServer>>;
  let resetting: Awaited<ReturnType<typeof rawServer>>;
  let deadPort = 0;
  before(async () => {
    good = await startOrigin({ '*': (r) => ({ body: `ok ${r.path}` }), '/reset': { reset: true } });
    garbage = await rawServer((s) => s.once('data', () => s.end('HELLO THIS IS NOT HTTP\r\n\r\n')));
    resetting = await rawServer((s) => s.once('data', () => s.resetAndDestroy()));
    // Nothing listens there: a port outside the ephemeral range, so no other test's socket takes it.
    [deadPort] = (await freePorts(1)) as [number];
    const o = (distribution(good.port).origins as Array<Record<string, unknown>>)[0]!;
    te = await startTestEdge({
      configs: [
        distribution(good.port, {
          origins: [
            o,
            { ...o, id: 'garbage', port: garbage.port },
            { ...o, id: 'reset', port: resetting.port },
            { ...o, id: 'dead', port: deadPort },
          ],
          cacheBehaviors: [
            { pathPattern: '/garbage/*', targetOriginId: 'garbage', cachePolicy: 'CachingOptimized' },
            { pathPattern: '/rst/*', targetOriginId: 'reset', cachePolicy: 'CachingOptimized' },
            { pathPattern: '/dead/*', targetOriginId: 'dead', cachePolicy: 'CachingOptimized' },
          ],
        }),
      ],
      runtime: nullRuntime,
    });
  });
  after(async () => {
    await te.close();
    await good.close();
    await new Promise<void>((r) => garbage.server.close(() => r()));
    await new Promise<void>((r) => resetting.server.close(() => r()));
  });

  const expect502 = async (path: string) => {
    const r = await te.get(path);
    assert.equal(r.status, 502, path);
    assert.equal(r.header('x-cache'), 'Error from verge', path);
    assert.match(r.header('content-type') ?? '', /text\/html/);
    assert.equal((await te.get('/fine')).text, 'ok /fine');
  };

  test('a port with nothing listening → 502 Error from verge', () => expect502('/dead/x'));
  test('an origin that answers garbage → 502', async () => {
    await expect502('/garbage/x');
    assert.ok(garbage.connections() >= 1);
  });
  test('an origin that resets the connection (TCP RST) → 502', async () => {
    await expect502('/rst/x');
    assert.ok(resetting.connections() >= 1);
  });
  test('an HTTP origin that destroys the socket mid-request → 502', () => expect502('/reset'));
  test('errors are not cached: the next request goes to the origin again', async () => {
    const before = resetting.connections();
    await te.get('/rst/again');
    await te.get('/rst/again');
    assert.ok(resetting.connections() >= before + 2);
  });
});
