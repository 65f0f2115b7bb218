/**
 * Guest `zlib`, `http`/`https` and `fetch` inside a real isolate: compression round trips with
 * the host's node:zlib, and outbound requests to a local 127.0.0.1 server with the host's
 * timeout, size cap and allow-list enforced.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { createSandbox } from './test-harness.js';
import type { Sandbox } from './test-harness.js';
import { closeHttpAgent } from './host-http.js';
import { egressPolicy } from '../egress/policy.js';

let sb: Sandbox;
let server: http.Server;
let base = '';
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (req.url === '/slow') return; // never answers: the host's timeout must end it
      if (req.url === '/big') return void res.end(Buffer.alloc(64 * 1024, 120));
      if (req.url === '/redirect') return void res.writeHead(302, { location: '/json' }).end();
      if (req.url === '/gz')
        return void res.writeHead(200, { 'content-type': 'text/plain' }).end(zlib.gzipSync('zipped body'));
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-multi': 'v1' });
      res.end(JSON.stringify({ path: req.url, method: req.method }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sb = await createSandbox({
    host: {
      fetchTimeoutMs: 300,
      maxFetchBytes: 32 * 1024,
      allowedFetchHosts: (h) => h === '127.0.0.1',
      // The test server is on loopback: the egress policy refuses it unless allowed.
      egress: egressPolicy({ allow: ['127.0.0.1'] }),
    },
  });
});

after(async () => {
  sb.dispose();
  await closeHttpAgent();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('zlib', () => {
  test('sync forms interoperate with the host zlib in both directions', async () => {
    const text = 'Lambda@Edge '.repeat(50);
    const hostGz = zlib.gzipSync(text).toString('base64');
    const hostBr = zlib.brotliCompressSync(text).toString('base64');
    const got = await sb.run<string[]>(`const z = require('zlib'); const t = ${JSON.stringify(text)};
      return [z.gunzipSync(Buffer.from(${JSON.stringify(hostGz)}, 'base64')).toString(), z.brotliDecompressSync(Buffer.from(${JSON.stringify(hostBr)}, 'base64')).toString(),
        z.gzipSync(t, { level: 9 }).toString('base64'), z.deflateSync(t).toString('base64'), z.brotliCompressSync(t, { params: { [z.constants.BROTLI_PARAM_QUALITY]: 4 } }).toString('base64'), String(z.constants.Z_BEST_COMPRESSION)];`);
    assert.equal(got[0], text);
    assert.equal(got[1], text);
    assert.equal(zlib.gunzipSync(Buffer.from(got[2]!, 'base64')).toString(), text);
    assert.equal(zlib.inflateSync(Buffer.from(got[3]!, 'base64')).toString(), text);
    assert.equal(zlib.brotliDecompressSync(Buffer.from(got[4]!, 'base64')).toString(), text);
    assert.equal(got[5], '9');
  });
  test('callback forms call back asynchronously; corrupt input gives an error with its code', async () => {
    const got = await sb.run(`const z = require('zlib'); const order = [];
      const r = await new Promise((res) => { z.gzip('abc', (e, b) => { order.push('cb'); z.gunzip(b, (e2, out) => res(out.toString())); }); order.push('after call'); });
      let code; try { z.inflateSync(Buffer.from('not deflate')); } catch (e) { code = e.code; }
      const asyncErr = await new Promise((res) => z.gunzip(Buffer.from('junk'), (e) => res(e && e.code)));
      return [r, order, code, asyncErr];`);
    assert.deepEqual(got, ['abc', ['after call', 'cb'], 'Z_DATA_ERROR', 'Z_DATA_ERROR']);
  });
  test('decompression output is capped on the host', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(8 * 1024 * 1024)).toString('base64');
    const small = await createSandbox({ host: { maxZlibOutputBytes: 1024 * 1024 } });
    try {
      const got = await small.run(
        `try { require('zlib').gunzipSync(Buffer.from(${JSON.stringify(bomb)}, 'base64')); return 'no'; } catch (e) { return e.message; }`,
      );
      assert.match(String(got), /exceeds the 1048576-byte limit/);
    } finally {
      small.dispose();
    }
  });
});

describe('fetch', () => {
  test('GET and POST with headers and JSON; Headers behave like the Fetch Standard', async () => {
    const got = await sb.run(`const r = await fetch('${base}/json?x=1', { headers: { 'X-Test': 'yes' } });
      const body = await r.json();
      const p = await fetch(new Request('${base}/post', { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' } }));
      return [r.status, r.ok, body, r.headers.get('content-type'), r.headers.getSetCookie(), r.headers.get('X-MULTI'), r.bodyUsed, (await p.json()).method];`);
    assert.deepEqual(got, [
      200,
      true,
      { path: '/json?x=1', method: 'GET' },
      'application/json',
      ['a=1', 'b=2'],
      'v1',
      true,
      'POST',
    ]);
    const post = seen.find((s) => s.url === '/post')!;
    assert.equal(post.body, '{"a":1}');
    assert.equal(seen.find((s) => s.url === '/json?x=1')!.headers['x-test'], 'yes');
  });
  test('redirects are followed by default and returned with redirect: manual', async () => {
    const got =
      await sb.run(`const a = await fetch('${base}/redirect'); const b = await fetch('${base}/redirect', { redirect: 'manual' });
      return [a.status, a.redirected, a.url, b.status, b.headers.get('location')];`);
    assert.deepEqual(got, [200, true, `${base}/json`, 302, '/json']);
  });
  test('the host timeout, size cap and allow-list reject with fetch failed and a coded cause', async () => {
    const got = await sb.run(`const out = [];
      for (const u of ['${base}/slow', '${base}/big', 'http://localhost:1/x', 'ftp://127.0.0.1/x']) {
        try { await fetch(u); out.push('ok'); } catch (e) { out.push([e.name, e.message, e.cause && e.cause.code]); } }
      return out;`);
    assert.deepEqual(got, [
      ['TypeError', 'fetch failed', 'ETIMEDOUT'],
      ['TypeError', 'fetch failed', 'ERR_FETCH_TOO_LARGE'],
      ['TypeError', 'fetch failed', 'ERR_HOST_NOT_ALLOWED'],
      ['TypeError', 'fetch failed', 'ERR_INVALID_PROTOCOL'],
    ]);
  });
  test('a refused connection is an error, not a hang', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const got = await sb.run(`try { await fetch('http://127.0.0.1:${port}/'); } catch (e) { return e.cause.code; }`);
    assert.equal(got, 'ECONNREFUSED');
  });
});

describe('http / https', () => {
  test('http.get streams the response with setEncoding, data and end events', async () => {
    const got = await sb.run(`const http = require('http');
      return await new Promise((resolve, reject) => {
        http.get('${base}/json?via=get', { headers: { 'x-from': 'http' } }, (res) => {
          let body = ''; res.setEncoding('utf8'); res.on('data', (c) => (body += c));
          res.on('end', () => resolve([res.statusCode, res.statusMessage, res.headers['content-type'], res.headers['set-cookie'], JSON.parse(body)]));
        }).on('error', reject);
      });`);
    assert.deepEqual(got, [200, 'OK', 'application/json', ['a=1', 'b=2'], { path: '/json?via=get', method: 'GET' }]);
    assert.equal(seen.find((s) => s.url === '/json?via=get')!.headers['x-from'], 'http');
  });
  test('http.request with options, write and end sends the body; errors carry codes', async () => {
    const port = new URL(base).port;
    const got = await sb.run(`const http = require('http');
      const status = await new Promise((resolve, reject) => {
        const req = http.request({ hostname: '127.0.0.1', port: ${port}, path: '/upload', method: 'PUT', headers: { 'content-type': 'text/plain' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
        req.on('error', reject); req.write('part1,'); req.end('part2');
      });
      const timeout = await new Promise((resolve) => { const req = http.get('${base}/slow'); let t = false; req.setTimeout(100, () => (t = true)); req.on('error', (e) => resolve([t, e.code])); });
      let proto; try { http.get('https://127.0.0.1/'); } catch (e) { proto = e.code; }
      const gz = await new Promise((resolve) => http.get('${base}/gz', (res) => { const parts = []; res.on('data', (c) => parts.push(c)); res.on('end', () => resolve(require('zlib').gunzipSync(Buffer.concat(parts)).toString())); }));
      return [status, timeout, proto, gz];`);
    assert.deepEqual(got, [200, [true, 'ETIMEDOUT'], 'ERR_INVALID_PROTOCOL', 'zipped body']);
    const up = seen.find((s) => s.url === '/upload')!;
    assert.equal(up.method, 'PUT');
    assert.equal(up.body, 'part1,part2');
  });
});
