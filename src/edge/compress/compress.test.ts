import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import { applyCompressionHeaders, chooseEncoding, compress, mergeVary } from './compress.js';
import type { ChooseEncodingInput } from './compress.js';
import { isCompressibleType } from './content-types.js';

function hdrs(o: Record<string, string>): CfHeaders {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), [{ key: k, value: v }]]));
}
function input(over: Partial<ChooseEncodingInput> = {}, h: Record<string, string> = {}): ChooseEncodingInput {
  return {
    acceptEncoding: 'br,gzip',
    httpVersion: '1.1',
    status: 200,
    bodyLength: 5_000,
    compressEnabled: true,
    headers: hdrs({ 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': '5000', ...h }),
    ...over,
  };
}

describe('chooseEncoding (spec 7.5)', () => {
  test('prefers br when both are accepted; otherwise the one accepted', () => {
    assert.equal(chooseEncoding(input()), 'br');
    assert.equal(chooseEncoding(input({ acceptEncoding: 'gzip' })), 'gzip');
    assert.equal(chooseEncoding(input({ acceptEncoding: 'br' })), 'br');
    assert.equal(chooseEncoding(input({ acceptEncoding: 'identity' })), null);
    assert.equal(chooseEncoding(input({ acceptEncoding: undefined })), null);
  });
  test('behavior flag off or HTTP/1.0 → never', () => {
    assert.equal(chooseEncoding(input({ compressEnabled: false })), null);
    assert.equal(chooseEncoding(input({ httpVersion: '1.0' })), null);
    assert.equal(chooseEncoding(input({ httpVersion: '2.0' })), 'br');
  });
  test('statuses 200, 403, 404 only', () => {
    for (const s of [200, 403, 404]) assert.equal(chooseEncoding(input({ status: s })), 'br', String(s));
    for (const s of [201, 206, 301, 304, 400, 500, 503])
      assert.equal(chooseEncoding(input({ status: s })), null, String(s));
  });
  test('size must be 1,000..10,000,000 bytes and Content-Length present', () => {
    assert.equal(chooseEncoding(input({ bodyLength: 999 })), null);
    assert.equal(chooseEncoding(input({ bodyLength: 1_000 })), 'br');
    assert.equal(chooseEncoding(input({ bodyLength: 10_000_000 })), 'br');
    assert.equal(chooseEncoding(input({ bodyLength: 10_000_001 })), null);
    const noLength = input();
    delete noLength.headers['content-length'];
    assert.equal(chooseEncoding(noLength), null);
  });
  test('any Content-Encoding from the origin prevents compression', () => {
    assert.equal(chooseEncoding(input({}, { 'Content-Encoding': 'gzip' })), null);
    assert.equal(chooseEncoding(input({}, { 'Content-Encoding': 'identity' })), null);
  });
  test('content type must be on the list', () => {
    assert.equal(chooseEncoding(input({}, { 'Content-Type': 'image/png' })), null);
    assert.equal(chooseEncoding(input({}, { 'Content-Type': 'APPLICATION/JSON' })), 'br');
    const noType = input();
    delete noType.headers['content-type'];
    assert.equal(chooseEncoding(noType), null);
  });
  test('content type list matches the developer guide', () => {
    for (const t of [
      'text/css',
      'application/javascript',
      'image/svg+xml',
      'font/ttf',
      'application/vnd.ms-fontobject',
      'text/plain;charset=x',
      'vnd.apple.mpegurl',
    ])
      assert.equal(isCompressibleType(t), true, t);
    for (const t of [
      'image/jpeg',
      'video/mp4',
      'application/octet-stream',
      'font/woff2',
      'text/markdown',
      '',
      undefined,
    ])
      assert.equal(isCompressibleType(t), false, String(t));
  });
});

describe('compress', () => {
  const body = Buffer.from('<p>hello verge</p>\n'.repeat(200));
  test('brotli round-trips and shrinks the body', async () => {
    const out = await compress(body, 'br');
    assert.ok(out.length < body.length);
    assert.deepEqual(brotliDecompressSync(out), body);
  });
  test('gzip round-trips and shrinks the body', async () => {
    const out = await compress(body, 'gzip');
    assert.ok(out.length < body.length);
    assert.equal(out[0], 0x1f);
    assert.deepEqual(gunzipSync(out), body);
  });
});

describe('applyCompressionHeaders', () => {
  test('sets encoding and length, adds Vary, weakens a strong ETag', () => {
    const h = hdrs({ 'Content-Length': '5000', ETag: '"abc"' });
    applyCompressionHeaders(h, 'gzip', 123);
    assert.deepEqual(h['content-encoding'], [{ key: 'Content-Encoding', value: 'gzip' }]);
    assert.deepEqual(h['content-length'], [{ key: 'Content-Length', value: '123' }]);
    assert.deepEqual(h['vary'], [{ key: 'Vary', value: 'Accept-Encoding' }]);
    assert.deepEqual(h['etag'], [{ key: 'ETag', value: 'W/"abc"' }]);
  });
  test('keeps a weak ETag and removes an invalid one', () => {
    const weak = hdrs({ ETag: 'W/"x"' });
    applyCompressionHeaders(weak, 'br', 1);
    assert.equal(weak['etag']?.[0]?.value, 'W/"x"');
    const bad = hdrs({ ETag: 'abc' });
    applyCompressionHeaders(bad, 'br', 1);
    assert.equal(bad['etag'], undefined);
  });
  test('merges Vary with existing values', () => {
    const h = hdrs({ Vary: 'Origin' });
    mergeVary(h, 'Accept-Encoding');
    assert.equal(h['vary']?.[0]?.value, 'Origin, Accept-Encoding');
    const already = hdrs({ vary: 'accept-encoding' });
    mergeVary(already, 'Accept-Encoding');
    assert.equal(already['vary']?.[0]?.value, 'accept-encoding');
    const star = hdrs({ Vary: '*' });
    mergeVary(star, 'Accept-Encoding');
    assert.equal(star['vary']?.[0]?.value, '*');
    const multi: CfHeaders = {
      vary: [
        { key: 'Vary', value: 'Origin' },
        { key: 'Vary', value: 'Cookie' },
      ],
    };
    mergeVary(multi, 'Accept-Encoding');
    assert.deepEqual(multi['vary'], [{ key: 'Vary', value: 'Origin, Cookie, Accept-Encoding' }]);
  });
});
