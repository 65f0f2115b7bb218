/**
 * @module test/scenarios/edge-protocol-compress
 * Edge compression by the rules of spec 7.5: gzip and brotli (brotli preferred), only for
 * compressible content types and bodies of 1,000..10,000,000 bytes with a Content-Length, never
 * over an origin's Content-Encoding, strong ETag made weak, `Vary: Accept-Encoding`, nothing for
 * HTTP/1.0 viewers. Bodies are decompressed and compared with the origin's; each encoding is
 * fetched from the origin once and then served from the cache.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { rawRequest } from '../harness/raw.js';

let origin: ScriptedOrigin;
let te: TestEdge;

/** Deterministic, compressible text of exactly `n` bytes. */
function text(n: number): string {
  let s = '';
  for (let i = 0; s.length < n; i++) s += `<p>line ${i} of the page</p>\n`;
  return s.slice(0, n);
}

const PAGE = text(5_000);
const gzipped = gzipSync(Buffer.from(PAGE));

function serve(path: string, body: string | Buffer, headers: Record<string, string>): void {
  origin.route(path, { headers: { 'cache-control': 'max-age=300', ...headers }, body });
}

before(async () => {
  origin = await startOrigin();
  serve('/page.html', PAGE, { 'content-type': 'text/html; charset=utf-8', etag: '"v1"' });
  serve('/h10.html', PAGE, { 'content-type': 'text/html' });
  serve('/vary.json', PAGE, { 'content-type': 'application/json', vary: 'Origin' });
  serve('/small.css', text(999), { 'content-type': 'text/css' });
  serve('/edge.css', text(1_000), { 'content-type': 'text/css' });
  serve('/huge.js', text(10_000_001), { 'content-type': 'application/javascript' });
  serve('/img.png', PAGE, { 'content-type': 'image/png' });
  serve('/pre.html', gzipped, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
  serve('/badetag.html', PAGE, { 'content-type': 'text/html', etag: 'unquoted' });
  serve('/weak.html', PAGE, { 'content-type': 'text/html', etag: 'W/"w1"' });
  serve('/off/page.html', PAGE, { 'content-type': 'text/html' });
  serve('/plain/page.html', PAGE, { 'content-type': 'text/html' });
  te = await startTestEdge({
    configs: [
      distribution(origin.port, {
        cacheBehaviors: [
          { pathPattern: '/off/*', targetOriginId: 'o1', compress: false },
          { pathPattern: '/plain/*', targetOriginId: 'o1', cachePolicy: 'CachingOptimizedForUncompressedObjects' },
        ],
      }),
    ],
  });
});

after(async () => {
  await te.close();
  await origin.close();
});

const get = (path: string, ae?: string) => te.get(path, ae === undefined ? {} : { headers: { 'accept-encoding': ae } });

describe('gzip and brotli at the edge (spec 7.5)', () => {
  test('brotli preferred, gzip when only gzip, identity otherwise; one origin fetch per encoding', async () => {
    const br = await get('/page.html', 'gzip, deflate, br');
    assert.equal(br.status, 200);
    assert.equal(br.header('content-encoding'), 'br');
    assert.equal(brotliDecompressSync(br.body).toString(), PAGE);
    // A miss is compressed as it streams from the origin (chunked); the stored copy knows its length.
    assert.equal(br.header('content-length'), undefined);
    assert.ok(br.body.length < PAGE.length);
    assert.equal(br.header('etag'), 'W/"v1"');
    assert.match(br.header('vary') ?? '', /Accept-Encoding/i);
    assert.equal(br.header('x-cache'), 'Miss from verge');

    const gz = await get('/page.html', 'gzip');
    assert.equal(gz.header('content-encoding'), 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), PAGE);
    assert.equal(gz.header('etag'), 'W/"v1"');

    const id = await get('/page.html');
    assert.equal(id.header('content-encoding'), undefined);
    assert.equal(id.text, PAGE);
    assert.equal(id.header('etag'), '"v1"', 'an uncompressed copy keeps its strong ETag');
    assert.equal(origin.count('/page.html'), 3);

    // Every encoding is now a hit, with the same bytes as before.
    const br2 = await get('/page.html', 'br, gzip');
    const gz2 = await get('/page.html', 'x-gzip, gzip;q=0.5');
    const id2 = await get('/page.html', 'identity');
    assert.equal(br2.header('x-cache'), 'Hit from verge');
    assert.equal(br2.header('content-encoding'), 'br');
    assert.deepEqual(br2.body, br.body);
    assert.equal(Number(br2.header('content-length')), br.body.length);
    assert.equal(gz2.header('x-cache'), 'Hit from verge');
    assert.equal(gunzipSync(gz2.body).toString(), PAGE);
    assert.equal(id2.header('x-cache'), 'Hit from verge');
    assert.equal(id2.text, PAGE);
    assert.equal(origin.count('/page.html'), 3);
  });

  test('Vary names Accept-Encoding; an origin Vary on a header not forwarded is trimmed (spec 7.10)', async () => {
    const r = await get('/vary.json', 'gzip');
    assert.equal(r.header('content-encoding'), 'gzip');
    const vary = (r.header('vary') ?? '').split(',').map((s) => s.trim().toLowerCase());
    assert.deepEqual(vary, ['accept-encoding']);
  });

  test('the 1,000..10,000,000 byte window', async () => {
    const small = await get('/small.css', 'gzip');
    assert.equal(small.header('content-encoding'), undefined);
    assert.equal(small.body.length, 999);
    const edge = await get('/edge.css', 'gzip');
    assert.equal(edge.header('content-encoding'), 'gzip');
    assert.equal(gunzipSync(edge.body).toString(), text(1_000));
    const huge = await get('/huge.js', 'br');
    assert.equal(huge.header('content-encoding'), undefined);
    assert.equal(huge.body.length, 10_000_001);
  });

  test('content types outside the list are not compressed', async () => {
    const r = await get('/img.png', 'br, gzip');
    assert.equal(r.header('content-encoding'), undefined);
    assert.equal(r.text, PAGE);
  });

  test('no double compression: an origin Content-Encoding passes through untouched', async () => {
    const r = await get('/pre.html', 'br, gzip');
    assert.equal(r.header('content-encoding'), 'gzip');
    assert.deepEqual(r.body, gzipped);
    assert.equal(gunzipSync(r.body).toString(), PAGE);
  });

  test('an invalid ETag is removed and a weak one is kept when compressing', async () => {
    const bad = await get('/badetag.html', 'gzip');
    assert.equal(bad.header('content-encoding'), 'gzip');
    assert.equal(bad.header('etag'), undefined);
    const weak = await get('/weak.html', 'gzip');
    assert.equal(weak.header('etag'), 'W/"w1"');
  });

  test('compress: false, or a cache policy without the encoding flags, compresses nothing', async () => {
    const off = await get('/off/page.html', 'br, gzip');
    assert.equal(off.header('content-encoding'), undefined);
    assert.equal(off.text, PAGE);
    const plain = await get('/plain/page.html', 'br, gzip');
    assert.equal(plain.header('content-encoding'), undefined);
    assert.equal(plain.text, PAGE);
  });

  test('HTTP/1.0 viewers get no compression, even after a compressed copy was cached', async () => {
    const gz = await get('/h10.html', 'gzip');
    assert.equal(gz.header('content-encoding'), 'gzip');
    const r = await rawRequest(
      te.url,
      'GET /h10.html HTTP/1.0\r\nHost: test.local\r\nAccept-Encoding: gzip, br\r\n\r\n',
    );
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.body, PAGE);
  });
});
