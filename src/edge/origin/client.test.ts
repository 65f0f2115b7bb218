/**
 * @module edge/origin/client.test
 * The origin client against real local servers: request shape, keep-alive reuse, connection
 * attempts, timeouts, broken responses and their VergeError codes.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, LookupFunction, Server as NetServer, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { VergeError } from '../../shared/errors.js';
import type { OriginPlan } from '../config/plan.js';
import { createOriginClient } from './client.js';
import type { OriginRequest } from './types.js';

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

/** Start a server on 127.0.0.1:0, count its connections, and close it (and its sockets) after the tests. */
async function listen<S extends Server | NetServer>(server: S): Promise<{ port: number; connections: () => number }> {
  const sockets = new Set<Socket>();
  let count = 0;
  server.on('connection', (s: Socket) => {
    count++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => count };
}

function httpServer(fn: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => fn(req, res, Buffer.concat(chunks)));
  });
}

/** A raw TCP server: `fn` gets each socket (for malformed and broken responses). */
function rawServer(fn: (s: Socket) => void): NetServer {
  return createNetServer(fn);
}

function plan(port: number, over: Partial<OriginPlan> = {}): OriginPlan {
  return {
    id: 'test-origin',
    kind: 'custom',
    domainName: '127.0.0.1',
    port,
    protocol: 'http',
    originPath: '',
    customHeaders: [],
    connectionAttempts: 3,
    connectionTimeoutMs: 2000,
    readTimeoutMs: 5000,
    keepaliveTimeoutMs: 5000,
    ...over,
  };
}

function get(over: Partial<OriginRequest> = {}): OriginRequest {
  return {
    method: 'GET',
    uri: '/',
    querystring: '',
    headers: { host: [{ key: 'Host', value: 'origin.test' }] },
    ...over,
  };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<VergeError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof VergeError, `expected a VergeError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, but the fetch succeeded`);
}

function newClient(opts: Parameters<typeof createOriginClient>[0] = {}) {
  const c = createOriginClient(opts);
  closers.push(() => c.close());
  return c;
}

async function unusedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('origin client: request and response shape', () => {
  test('sends path, query, headers with their spelling and every line; returns the buffered response', async () => {
    const srv = await listen(
      httpServer((req, res, body) => {
        res.writeHead(201, 'Made It', [
          ['Content-Type', 'application/json'],
          ['Set-Cookie', 'a=1'],
          ['Set-Cookie', 'b=2'],
          ['X-Origin-Header', 'yes'],
        ]);
        res.end(JSON.stringify({ method: req.method, url: req.url, raw: req.rawHeaders, body: body.toString() }));
      }),
    );
    const client = newClient();
    const res = await client.fetch(plan(srv.port, { originPath: '/base' }), {
      method: 'POST',
      uri: '/a/b.json',
      querystring: 'x=1&y=2',
      headers: {
        host: [{ key: 'Host', value: 'origin.test' }],
        'x-custom-thing': [{ key: 'X-CUSTOM-thing', value: 'v' }],
        'x-multi': [
          { key: 'X-Multi', value: 'one' },
          { key: 'X-Multi', value: 'two' },
        ],
        'x-no-key': [{ value: 'titled' }],
        'content-length': [{ key: 'Content-Length', value: '999' }],
        connection: [{ key: 'Connection', value: 'close' }],
      },
      body: Buffer.from('hello body'),
    });
    assert.equal(res.status, 201);
    assert.equal(res.statusText, 'Made It');
    const echo = JSON.parse(res.body.toString()) as { method: string; url: string; raw: string[]; body: string };
    assert.equal(echo.method, 'POST');
    assert.equal(echo.url, '/base/a/b.json?x=1&y=2');
    assert.equal(echo.body, 'hello body');
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < echo.raw.length; i += 2) pairs.push([echo.raw[i]!, echo.raw[i + 1]!]);
    assert.deepEqual(
      pairs.filter(([k]) => k.toLowerCase().startsWith('x-')),
      [
        ['X-CUSTOM-thing', 'v'],
        ['X-Multi', 'one'],
        ['X-Multi', 'two'],
        ['X-No-Key', 'titled'],
      ],
    );
    assert.equal(pairs.find(([k]) => k.toLowerCase() === 'host')?.[1], 'origin.test');
    // Framing is the client's: the stale Content-Length is replaced by the body's real length.
    assert.equal(pairs.find(([k]) => k.toLowerCase() === 'content-length')?.[1], '10');
    assert.deepEqual(res.headers['set-cookie'], [
      { key: 'Set-Cookie', value: 'a=1' },
      { key: 'Set-Cookie', value: 'b=2' },
    ]);
    assert.deepEqual(res.headers['x-origin-header'], [{ key: 'X-Origin-Header', value: 'yes' }]);
  });

  test('strips hop-by-hop response headers, including those named by Connection', async () => {
    const srv = await listen(
      rawServer((s) => {
        s.once('data', () => {
          s.end(
            'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close, X-Private-Hop\r\n' +
              'X-Private-Hop: secret\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n' +
              '5\r\nhello\r\n0\r\n\r\n',
          );
        });
      }),
    );
    const res = await newClient().fetch(plan(srv.port), get());
    assert.equal(res.body.toString(), 'hello');
    assert.equal(res.headers['content-type']?.[0]?.value, 'text/plain');
    for (const h of ['connection', 'x-private-hop', 'keep-alive', 'transfer-encoding'])
      assert.equal(res.headers[h], undefined, h);
  });

  test('HEAD returns headers and an empty body; timings are recorded', async () => {
    const srv = await listen(
      httpServer((_req, res) => {
        res.writeHead(200, { 'Content-Length': '1234', 'Content-Type': 'text/plain' });
        res.end();
      }),
    );
    const res = await newClient().fetch(plan(srv.port), get({ method: 'HEAD' }));
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers['content-length']?.[0]?.value, '1234');
    assert.ok(res.timings.firstByteMs >= 0 && res.timings.totalMs >= res.timings.firstByteMs);
  });

  test('a body over maxBodyBytes fails with ORIGIN_BODY_TOO_LARGE', async () => {
    const srv = await listen(httpServer((_req, res) => res.end(Buffer.alloc(5000, 'x'))));
    await rejectsWith(newClient({ maxBodyBytes: 1000 }).fetch(plan(srv.port), get()), 'ORIGIN_BODY_TOO_LARGE');
  });

  test('a closed client refuses new fetches', async () => {
    const c = createOriginClient();
    await c.close();
    await rejectsWith(c.fetch(plan(1), get()), 'INTERNAL');
  });
});

describe('origin client: keep-alive', () => {
  test('sequential requests reuse one connection; only the first pays for connect', async () => {
    const srv = await listen(httpServer((_req, res) => res.end('ok')));
    const client = newClient();
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await client.fetch(plan(srv.port), get()));
    assert.equal(srv.connections(), 1);
    assert.equal(typeof results[0]!.timings.connectMs, 'number');
    for (const r of results.slice(1)) assert.equal(r.timings.connectMs, undefined);
  });

  test('an idle connection is dropped after keepaliveTimeoutMs', async () => {
    const srv = await listen(httpServer((_req, res) => res.end('ok')));
    const client = newClient();
    const o = plan(srv.port, { keepaliveTimeoutMs: 100 });
    await client.fetch(o, get());
    await sleep(400); // well past the 100 ms idle limit; only a lower bound matters here
    await client.fetch(o, get());
    assert.equal(srv.connections(), 2);
  });
});

describe('origin client: connection failures and attempts', () => {
  test('a refused port fails with ORIGIN_CONNECT_ERROR after every attempt', async () => {
    const port = await unusedPort();
    const e3 = await rejectsWith(newClient().fetch(plan(port), get()), 'ORIGIN_CONNECT_ERROR');
    assert.equal(e3.details?.['attempts'], 3);
    const e1 = await rejectsWith(
      newClient().fetch(plan(port, { connectionAttempts: 1 }), get()),
      'ORIGIN_CONNECT_ERROR',
    );
    assert.equal(e1.details?.['attempts'], 1);
  });

  test('a server that hangs up before answering: GET is retried, POST is not', async () => {
    const srv = await listen(rawServer((s) => s.once('data', () => s.destroy())));
    const client = newClient();
    await rejectsWith(client.fetch(plan(srv.port), get()), 'ORIGIN_RESET');
    assert.equal(srv.connections(), 3);
    await rejectsWith(client.fetch(plan(srv.port), get({ method: 'POST', body: Buffer.from('x') })), 'ORIGIN_RESET');
    assert.equal(srv.connections(), 4);
  });

  test('a TLS handshake that never completes hits the connect timeout on each attempt', async () => {
    const srv = await listen(rawServer(() => {})); // accepts TCP, never speaks TLS
    const o = plan(srv.port, { protocol: 'https', connectionAttempts: 2, connectionTimeoutMs: 200 });
    const e = await rejectsWith(newClient().fetch(o, get()), 'ORIGIN_CONNECT_ERROR');
    assert.equal(e.details?.['reason'], 'UND_ERR_CONNECT_TIMEOUT');
    assert.equal(srv.connections(), 2);
  });

  test('a DNS failure is ORIGIN_DNS_ERROR and is not retried', async () => {
    let lookups = 0;
    const lookup = ((_host: string, _opts: unknown, cb: (e: Error) => void) => {
      lookups++;
      cb(Object.assign(new Error('getaddrinfo ENOTFOUND origin.invalid'), { code: 'ENOTFOUND' }));
    }) as unknown as LookupFunction;
    const e = await rejectsWith(
      newClient({ lookup }).fetch(plan(80, { domainName: 'origin.invalid' }), get()),
      'ORIGIN_DNS_ERROR',
    );
    assert.equal(e.details?.['attempts'], 1);
    assert.equal(lookups, 1);
  });
});

describe('origin client: timeouts and broken responses', () => {
  test('no response within readTimeoutMs: ORIGIN_TIMEOUT; GET retried, POST not', async () => {
    let requests = 0;
    const srv = await listen(
      httpServer(() => {
        requests++; // never answers
      }),
    );
    const client = newClient();
    const o = plan(srv.port, { readTimeoutMs: 200, connectionAttempts: 2 });
    const e = await rejectsWith(client.fetch(o, get()), 'ORIGIN_TIMEOUT');
    assert.equal(e.details?.['reason'], 'UND_ERR_HEADERS_TIMEOUT');
    assert.equal(requests, 2);
    await rejectsWith(client.fetch(o, get({ method: 'POST', body: Buffer.from('x') })), 'ORIGIN_TIMEOUT');
    assert.equal(requests, 3);
  });

  test('a body that stalls past readTimeoutMs is ORIGIN_TIMEOUT', async () => {
    const srv = await listen(
      httpServer((_req, res) => {
        res.writeHead(200, { 'Content-Length': '100' });
        res.write('only part');
      }),
    );
    const o = plan(srv.port, { readTimeoutMs: 200, connectionAttempts: 1 });
    const e = await rejectsWith(newClient().fetch(o, get()), 'ORIGIN_TIMEOUT');
    assert.equal(e.details?.['reason'], 'UND_ERR_BODY_TIMEOUT');
  });

  test('a connection reset mid-body is ORIGIN_RESET and is not retried', async () => {
    let requests = 0;
    const srv = await listen(
      rawServer((s) =>
        s.once('data', () => {
          requests++;
          s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789', () => s.destroy());
        }),
      ),
    );
    await rejectsWith(newClient().fetch(plan(srv.port), get()), 'ORIGIN_RESET');
    assert.equal(requests, 1);
  });

  test('a body shorter than Content-Length followed by a clean close is ORIGIN_RESET', async () => {
    const srv = await listen(
      rawServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort'))),
    );
    await rejectsWith(newClient().fetch(plan(srv.port, { connectionAttempts: 1 }), get()), 'ORIGIN_RESET');
  });

  test('garbage instead of HTTP is ORIGIN_BAD_RESPONSE and is not retried', async () => {
    let requests = 0;
    const srv = await listen(
      rawServer((s) =>
        s.once('data', () => {
          requests++;
          s.end('HELLO\r\n\r\n');
        }),
      ),
    );
    await rejectsWith(newClient().fetch(plan(srv.port), get()), 'ORIGIN_BAD_RESPONSE');
    assert.equal(requests, 1);
  });

  test('response headers over 20,480 bytes are ORIGIN_HEADERS_TOO_LARGE; just under passes', async () => {
    const srv = await listen(
      httpServer((req, res) => {
        const size = req.url === '/big' ? 21_000 : 19_000;
        res.writeHead(200, { 'X-Big': 'x'.repeat(size) });
        res.end('ok');
      }),
    );
    const client = newClient();
    const ok = await client.fetch(plan(srv.port), get({ uri: '/small' }));
    assert.equal(ok.headers['x-big']?.[0]?.value.length, 19_000);
    await rejectsWith(client.fetch(plan(srv.port), get({ uri: '/big' })), 'ORIGIN_HEADERS_TOO_LARGE');
  });
});
