/**
 * Tests for the REST client against a small fake control plane on 127.0.0.1: bearer token,
 * JSON bodies, ETag / If-Match, error documents, connection refused, and the SSE log tail.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, ClientError, CONNECTION_REFUSED, nextStep, formatClientError } from './index.js';
import { errorFromResponse } from './errors.js';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  ifMatch: string | undefined;
  body: unknown;
}

const seen: Seen[] = [];
let rev = 1;
let server: Server;
let url = '';

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let s = '';
  for await (const c of req) s += c;
  return s ? JSON.parse(s) : undefined;
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const body = await readBody(req);
  seen.push({
    method: req.method!,
    url: req.url!,
    auth: req.headers.authorization,
    ifMatch: req.headers['if-match'] as string | undefined,
    body,
  });
  if (req.headers.authorization !== 'Bearer good')
    return send(res, 401, { error: { code: 'UNAUTHORIZED', message: 'no valid token' } });
  const fn = () => ({
    name: 'auth',
    runtime: 'nodejs',
    handler: 'index.handler',
    env: {},
    secrets: { S: '***' },
    etag: `"r${rev}"`,
  });
  if (req.method === 'GET' && req.url === '/api/v1/functions/auth') return send(res, 200, fn(), { etag: `"r${rev}"` });
  if (req.method === 'PATCH' && req.url === '/api/v1/functions/auth') {
    if (req.headers['if-match'] && req.headers['if-match'] !== `"r${rev}"`)
      return send(res, 412, { error: { code: 'PRECONDITION_FAILED', message: 'stale' } });
    rev++;
    return send(res, 200, fn(), { etag: `"r${rev}"` });
  }
  if (req.method === 'POST' && req.url === '/api/v1/functions') {
    return send(res, 400, {
      error: {
        code: 'VALIDATION_FAILED',
        message: 'invalid',
        fields: [{ path: '$.name', message: 'must match [a-z]' }],
      },
    });
  }
  if (req.method === 'DELETE' && req.url === '/api/v1/triggers/t%2F1') return send(res, 204);
  if (req.method === 'GET' && req.url?.startsWith('/api/v1/logs/tail')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // Split records across writes and line endings to exercise the parser.
    res.write(': hello\r\n\r\nevent: log\r\ndata: {"type":"function","time":1,"pop":"p1",');
    setTimeout(() => res.write('"requestId":"a","message":"one"}\r\n\r\nevent: ping\ndata: x\n\n'), 5);
    setTimeout(
      () => res.end('event: log\ndata: {"type":"access","time":2,"pop":"p2","requestId":"b","message":"two"}\n\n'),
      10,
    );
    return;
  }
  if (req.method === 'GET' && req.url?.startsWith('/api/v1/logs'))
    return send(res, 200, { items: [{ type: 'function', message: 'q' }] });
  send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.url}` } });
}

before(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

describe('client', () => {
  test('sends the bearer token and returns the ETag with the value', async () => {
    const c = createClient({ url: url + '/', token: 'good' });
    const { value, etag } = await c.functions.getWithEtag('auth');
    assert.equal(value.name, 'auth');
    assert.equal(etag, `"r${rev}"`);
    assert.equal(seen.at(-1)!.auth, 'Bearer good');
  });

  test('If-Match: a current ETag applies, a stale one gets 412 PRECONDITION_FAILED', async () => {
    const c = createClient({ url, token: 'good' });
    const { etag } = await c.functions.getWithEtag('auth');
    const updated = await c.functions.update('auth', { env: { A: '1' } }, { ifMatch: etag! });
    assert.equal(seen.at(-1)!.ifMatch, etag);
    assert.deepEqual(seen.at(-1)!.body, { env: { A: '1' } });
    assert.notEqual(updated.etag, etag);
    const err = await c.functions.update('auth', { env: {} }, { ifMatch: etag! }).catch((e: unknown) => e);
    assert.ok(err instanceof ClientError);
    assert.equal(err.status, 412);
    assert.equal(err.code, 'PRECONDITION_FAILED');
    assert.match(nextStep(err), /get it again and retry/);
  });

  test('a missing token gives 401 with a hint about verge login', async () => {
    const c = createClient({ url });
    const err = await c.functions.get('auth').catch((e: unknown) => e);
    assert.ok(err instanceof ClientError);
    assert.equal(err.status, 401);
    assert.equal(seen.at(-1)!.auth, undefined);
    assert.match(nextStep(err), /verge login/);
  });

  test('validation errors keep their fields', async () => {
    const c = createClient({ url, token: 'good' });
    const err = await c.functions
      .create({ name: 'Bad!', runtime: 'nodejs', code: { source: 'x', filename: 'a.js' } })
      .catch((e: unknown) => e);
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'VALIDATION_FAILED');
    assert.deepEqual(err.fields, [{ path: '$.name', message: 'must match [a-z]' }]);
    assert.match(formatClientError(err), /\$\.name: must match/);
  });

  test("an error document's details are kept (a compile error's file, line and column)", () => {
    const body = JSON.stringify({
      error: {
        code: 'FUNCTION_CODE_INVALID',
        message: 'index.mjs:3:5: Expected ";"',
        details: { file: 'index.mjs', line: 3, column: 5 },
      },
    });
    const err = errorFromResponse(400, body, url);
    assert.deepEqual(err.details, { file: 'index.mjs', line: 3, column: 5 });
    assert.equal(
      errorFromResponse(400, JSON.stringify({ error: { code: 'X', details: [1] } }), url).details,
      undefined,
    );
    assert.equal(errorFromResponse(500, 'not json', url).details, undefined);
  });

  test('ids are one path segment; 204 gives undefined', async () => {
    const c = createClient({ url, token: 'good' });
    assert.equal(await c.triggers.delete('t/1'), undefined);
    assert.equal(seen.at(-1)!.url, '/api/v1/triggers/t%2F1');
  });

  test('log filters become the query string', async () => {
    const c = createClient({ url, token: 'good' });
    const items = await c.logs.query({ function: 'auth', version: 2, since: '10m', pop: undefined });
    assert.equal(items.length, 1);
    assert.equal(seen.at(-1)!.url, '/api/v1/logs?function=auth&version=2&since=10m');
  });

  test('connection refused names the URL and says what to run', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const c = createClient({ url: `http://127.0.0.1:${port}`, token: 'good' });
    const err = await c.pops.list().catch((e: unknown) => e);
    assert.ok(err instanceof ClientError);
    assert.equal(err.status, 0);
    assert.equal(err.code, CONNECTION_REFUSED);
    assert.match(nextStep(err), new RegExp(`verge up.*127\\.0\\.0\\.1:${port}`));
  });

  test('logs.tail yields log events across chunk and CRLF boundaries, skipping others', async () => {
    const c = createClient({ url, token: 'good' });
    const got: string[] = [];
    for await (const r of c.logs.tail({ function: 'auth' }, AbortSignal.timeout(5000)))
      got.push(`${r.pop}:${r.message}`);
    assert.deepEqual(got, ['p1:one', 'p2:two']);
    assert.equal(seen.at(-1)!.url, '/api/v1/logs/tail?function=auth');
  });
});
