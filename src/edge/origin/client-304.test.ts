// A 304 that carries Content-Length is a complete response (undici 7 reports a length mismatch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createOriginClient } from './index.js';
test('a 304 with a Content-Length header is a complete, empty response', { timeout: 10_000 }, async () => {
  const srv = net.createServer((s) => {
    s.on('data', () => s.write('HTTP/1.1 304 Not Modified\r\nETag: "a"\r\nContent-Length: 1234\r\n\r\n'));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const c = createOriginClient();
  const r = await c.fetch(
    {
      id: 'o',
      kind: 'custom',
      domainName: '127.0.0.1',
      port,
      protocol: 'http',
      originPath: '',
      customHeaders: [],
      connectionAttempts: 1,
      connectionTimeoutMs: 1000,
      readTimeoutMs: 2000,
      keepaliveTimeoutMs: 5000,
    },
    { method: 'GET', uri: '/', querystring: '', headers: { host: [{ key: 'Host', value: 'x' }] } },
  );
  assert.equal(r.status, 304);
  assert.equal(r.body.length, 0);
  await c.close();
  srv.close();
});
