/**
 * @module edge/origin/client-interim.test
 * Interim (1xx) responses from an origin (RFC 9110 15.2): 102 and 103 before the final response
 * are read and dropped, never returned as the response nor merged into it. An unsolicited
 * 100 Continue is a limitation of undici (nodejs/undici#201): the fetch fails cleanly.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { VergeError } from '../../shared/errors.js';
import type { OriginPlan } from '../config/plan.js';
import { createOriginClient } from './index.js';

const servers: net.Server[] = [];
const client = createOriginClient();
after(async () => {
  await client.close();
  for (const s of servers) s.close();
});

/** A raw origin that answers every request with `wire`, then keeps the connection open. */
async function origin(wire: string): Promise<OriginPlan> {
  const srv = net.createServer((s) => s.on('data', () => s.write(wire)));
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    id: 'o',
    kind: 'custom',
    domainName: '127.0.0.1',
    port: (srv.address() as net.AddressInfo).port,
    protocol: 'http',
    originPath: '',
    customHeaders: [],
    connectionAttempts: 1,
    connectionTimeoutMs: 1000,
    readTimeoutMs: 2000,
    keepaliveTimeoutMs: 5000,
  };
}
const get = { method: 'GET', uri: '/', querystring: '', headers: { host: [{ key: 'Host', value: 'x' }] } };

test('102 and 103 before the final response: the final one is returned, without their fields', async () => {
  const o = await origin(
    'HTTP/1.1 102 Processing\r\n\r\n' +
      'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nX-My-Header: test\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 2\r\n\r\nok',
  );
  const r = await client.fetch(o, get);
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'ok');
  assert.equal(r.headers['cache-control']?.[0]?.value, 'max-age=60');
  assert.equal(r.headers['x-my-header'], undefined);
  assert.equal(r.headers['link'], undefined);
});

test('two requests on one connection each get their own final response after interim ones', async () => {
  const o = await origin(
    'HTTP/1.1 103 Early Hints\r\nLink: </b.css>; rel=preload\r\n\r\n' + 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb',
  );
  for (let i = 0; i < 2; i++) {
    const r = await client.fetch(o, get);
    assert.equal(`${r.status} ${r.body.toString()}`, '200 b');
  }
});

test('an unsolicited 100 Continue fails the fetch with a typed origin error (undici limitation)', async () => {
  const o = await origin('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  await assert.rejects(client.fetch(o, get), (e: unknown) => e instanceof VergeError && e.code.startsWith('ORIGIN_'));
});
