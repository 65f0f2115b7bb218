/**
 * @module test/scenarios/edge-origin-bucket
 * Scenario tests for the bucket origin (a directory served like S3) through the edge: content
 * types, ETag and Last-Modified, ranges and conditional requests from the cached object, 404
 * (NoSuchKey) for missing keys, and path escapes (`/../`, `/%2e%2e/`, encoded NULs) refused
 * with a 4xx that never reveals a file outside the bucket. Raw sockets send the paths a URL
 * parser would normalize away.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startTestEdge, type TestEdge } from '../harness/edge.js';
import { rawRequest } from '../harness/raw.js';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-BUCKET';

describe('edge origins: the bucket origin', () => {
  let te: TestEdge;
  before(async () => {
    te = await startTestEdge({
      configs: [
        {
          id: 'bucket',
          aliases: ['bucket.local'],
          origins: [{ id: 'site', bucket: { path: 'site' } }],
          defaultCacheBehavior: { targetOriginId: 'site', cachePolicy: 'CachingOptimized' },
        },
      ],
      files: {
        'site/index.html': '<!doctype html><p>home</p>',
        'site/css/site.css': 'body { color: red }',
        'site/data/info.json': '{"ok":true}',
        'site/img/dot.png': Buffer.from('89504e470d0a1a0a', 'hex'),
        'site/digits.txt': '0123456789',
        'secret.txt': SECRET,
      },
      runtime: nullRuntime,
    });
  });
  after(() => te.close());

  test('content types come from the file extension', async () => {
    const types = await Promise.all(
      ['/index.html', '/css/site.css', '/data/info.json', '/img/dot.png', '/digits.txt'].map(async (p) =>
        (await te.get(p)).header('content-type'),
      ),
    );
    assert.match(types[0]!, /^text\/html/);
    assert.match(types[1]!, /^text\/css/);
    assert.match(types[2]!, /^application\/json/);
    assert.equal(types[3], 'image/png');
    assert.match(types[4]!, /^text\/plain/);
  });

  test('ETag and Last-Modified are present, the object caches, and validators give 304', async () => {
    const a = await te.get('/css/site.css');
    const etag = a.header('etag');
    const lm = a.header('last-modified');
    assert.match(etag ?? '', /^"[^"]+"$/);
    assert.ok(lm && !Number.isNaN(Date.parse(lm)));
    assert.equal(a.text, 'body { color: red }');
    const b = await te.get('/css/site.css', { headers: { 'if-none-match': etag! } });
    assert.equal(b.status, 304);
    assert.equal(b.header('x-cache'), 'Hit from verge');
    const c = await te.get('/css/site.css', { headers: { 'if-modified-since': lm! } });
    assert.equal(c.status, 304);
  });

  test('ranges: 206 with Content-Range, and 416 past the end', async () => {
    const r = await te.get('/digits.txt', { headers: { range: 'bytes=3-6' } });
    assert.equal(r.status, 206);
    assert.equal(r.text, '3456');
    assert.equal(r.header('content-range'), 'bytes 3-6/10');
    const bad = await te.get('/digits.txt', { headers: { range: 'bytes=10-' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.header('content-range'), 'bytes */10');
  });

  test('a missing key is a 404 (S3 NoSuchKey) reported as Error', async () => {
    const r = await te.get('/nope.html');
    assert.equal(r.status, 404);
    assert.equal(r.header('x-cache'), 'Error from verge');
    assert.match(r.text, /NoSuchKey/);
  });

  for (const path of [
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/css/%2E%2E/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/index.html%00.txt',
    '/%00',
    '/css/..%5c..%5csecret.txt',
  ]) {
    test(`path escape ${path} → 4xx without the secret`, async () => {
      const r = await rawRequest(te.url, `GET ${path} HTTP/1.1\r\nHost: bucket.local\r\nConnection: close\r\n\r\n`);
      assert.ok(r.status >= 400 && r.status < 500, `${path} gave ${r.status}`);
      assert.ok(!r.raw.includes(SECRET), `${path} leaked the file outside the bucket`);
    });
  }

  test('the edge still serves after the escapes', async () => {
    assert.equal((await te.get('/index.html')).status, 200);
  });
});
