/**
 * @module edge/origin/bucket.test
 * The directory bucket on a real temporary folder: path safety, S3-style answers, ETag and
 * conditional requests, ranges, HEAD, origin path, and dispatch through createOriginClient;
 * files past the whole-read size streaming from the file (issue 12).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../shared/clock.js';
import { VergeError } from '../../shared/errors.js';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { StreamBody } from '../body/index.js';
import type { OriginPlan } from '../config/plan.js';
import { bucketKey, createBucketOrigin } from './bucket.js';
import { createOriginClient } from './client.js';

const tmp = mkdtempSync(join(tmpdir(), 'verge-bucket-'));
const root = join(tmp, 'bucket');
const clock = new FakeClock(Date.UTC(2026, 2, 4, 10, 11, 12));
const bucket = createBucketOrigin({ clock });
const md5 = (s: string | Buffer) => `"${createHash('md5').update(s).digest('hex')}"`;
const INDEX = '<h1>hello bucket</h1>';
const DIGITS = '0123456789';

before(() => {
  mkdirSync(join(root, 'css'), { recursive: true });
  mkdirSync(join(root, 'sub'));
  mkdirSync(join(root, 'v2'));
  writeFileSync(join(root, 'index.html'), INDEX);
  writeFileSync(join(root, 'digits.txt'), DIGITS);
  writeFileSync(join(root, 'a b.txt'), 'spaced');
  writeFileSync(join(root, 'a..b.txt'), 'dots');
  writeFileSync(join(root, 'css', 'site.css'), 'body{}');
  writeFileSync(join(root, 'IMG.PNG'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(join(root, 'blob'), 'no extension');
  writeFileSync(join(root, 'empty.txt'), '');
  writeFileSync(join(root, 'v2', 'file.txt'), 'version two');
  writeFileSync(join(tmp, 'secret.txt'), 'outside the bucket');
  symlinkSync(join(tmp, 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(join(root, 'index.html'), join(root, 'link-in.html'));
  symlinkSync(tmp, join(root, 'dir-out'));
  const mtime = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  utimesSync(join(root, 'index.html'), mtime, mtime);
});
after(async () => {
  await bucket.close();
  rmSync(tmp, { recursive: true, force: true });
});

function origin(over: Partial<OriginPlan> = {}): OriginPlan {
  return {
    id: 'assets',
    kind: 'bucket',
    domainName: 'assets.bucket.verge',
    port: 443,
    protocol: 'https',
    originPath: '',
    customHeaders: [],
    connectionAttempts: 3,
    connectionTimeoutMs: 10_000,
    readTimeoutMs: 30_000,
    keepaliveTimeoutMs: 5_000,
    bucketPath: root,
    ...over,
  };
}

function hdrs(pairs: Record<string, string> = {}): CfHeaders {
  const h: CfHeaders = {};
  for (const [k, v] of Object.entries(pairs)) h[k.toLowerCase()] = [{ key: k, value: v }];
  return h;
}

function fetch(uri: string, headers: Record<string, string> = {}, method = 'GET', o = origin()) {
  return bucket.fetch(o, { method, uri, querystring: '', headers: hdrs(headers) });
}

const hv = (h: CfHeaders, name: string) => h[name]?.[0]?.value;

describe('bucket: path safety', () => {
  const attacks = [
    '/../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/css/%2E%2E/%2E%2E/secret.txt',
    '/a%00.txt',
    '/a\\..\\secret.txt',
    '/%5c..%5csecret.txt',
    '//etc/passwd',
    '/%2Fetc/passwd',
    '/bad%E0%A4%A',
    'index.html',
  ];
  for (const uri of attacks) {
    test(`refuses ${JSON.stringify(uri)} with REQUEST_BAD_PATH before touching the disk`, async () => {
      assert.throws(
        () => bucketKey('', uri),
        (e: unknown) => e instanceof VergeError && e.code === 'REQUEST_BAD_PATH',
      );
      // A bucket directory that does not exist would answer 404 if the disk were consulted first.
      const missingRoot = origin({ bucketPath: join(tmp, 'no-such-dir') });
      await assert.rejects(
        fetch(uri, {}, 'GET', missingRoot),
        (e: unknown) => e instanceof VergeError && e.code === 'REQUEST_BAD_PATH',
      );
    });
  }

  test('a symlink that leads outside the bucket is refused; one inside is served', async () => {
    for (const uri of ['/link-out.txt', '/dir-out/secret.txt']) {
      await assert.rejects(fetch(uri), (e: unknown) => e instanceof VergeError && e.code === 'REQUEST_BAD_PATH', uri);
    }
    const inside = await fetch('/link-in.html');
    assert.equal(inside.body.toString(), INDEX);
  });

  test('dots inside a segment are fine, and percent-encoding is decoded once', async () => {
    assert.equal((await fetch('/a..b.txt')).body.toString(), 'dots');
    assert.equal((await fetch('/a%20b.txt')).body.toString(), 'spaced');
    assert.equal(bucketKey('', '/x%2525.txt'), 'x%25.txt');
  });
});

describe('bucket: S3-style answers', () => {
  test('GET serves the file with type, length, md5 ETag, Last-Modified, Accept-Ranges and Date', async () => {
    const res = await fetch('/index.html');
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), INDEX);
    assert.equal(hv(res.headers, 'content-type'), 'text/html; charset=utf-8');
    assert.equal(hv(res.headers, 'content-length'), String(Buffer.byteLength(INDEX)));
    assert.equal(hv(res.headers, 'etag'), md5(INDEX));
    assert.equal(hv(res.headers, 'last-modified'), 'Fri, 02 Jan 2026 03:04:05 GMT');
    assert.equal(hv(res.headers, 'accept-ranges'), 'bytes');
    assert.equal(hv(res.headers, 'date'), 'Wed, 04 Mar 2026 10:11:12 GMT');
    assert.equal(res.headers['etag']?.[0]?.key, 'ETag');
  });

  test('Content-Type follows the extension, case-insensitively; unknown is octet-stream', async () => {
    assert.equal(hv((await fetch('/css/site.css')).headers, 'content-type'), 'text/css; charset=utf-8');
    assert.equal(hv((await fetch('/IMG.PNG')).headers, 'content-type'), 'image/png');
    assert.equal(hv((await fetch('/blob')).headers, 'content-type'), 'application/octet-stream');
  });

  test('HEAD has the GET headers and no body', async () => {
    const get = await fetch('/index.html');
    const head = await fetch('/index.html', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.deepEqual(head.headers, get.headers);
  });

  test('a missing key, a directory and the root are 404 NoSuchKey in S3 XML', async () => {
    for (const uri of ['/nope.txt', '/sub', '/sub/', '/', '/index.html/x']) {
      const res = await fetch(uri);
      assert.equal(res.status, 404, uri);
      assert.equal(hv(res.headers, 'content-type'), 'application/xml');
      assert.match(res.body.toString(), /<Error><Code>NoSuchKey<\/Code>/);
      assert.equal(hv(res.headers, 'content-length'), String(res.body.length));
    }
  });

  test('methods other than GET and HEAD get 403 MethodNotAllowed', async () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const res = await fetch('/index.html', {}, m);
      assert.equal(res.status, 403, m);
      assert.match(res.body.toString(), /<Code>MethodNotAllowed<\/Code>/);
    }
  });

  test('originPath prefixes the key', async () => {
    const res = await fetch('/file.txt', {}, 'GET', origin({ originPath: '/v2' }));
    assert.equal(res.body.toString(), 'version two');
  });

  test('the ETag follows the content', async () => {
    const p = join(root, 'changing.txt');
    writeFileSync(p, 'one');
    const first = hv((await fetch('/changing.txt')).headers, 'etag');
    writeFileSync(p, 'two!');
    const later = new Date(statSync(p).mtimeMs + 5000);
    utimesSync(p, later, later);
    const second = hv((await fetch('/changing.txt')).headers, 'etag');
    assert.equal(first, md5('one'));
    assert.equal(second, md5('two!'));
  });

  test('objects over maxBodyBytes fail with ORIGIN_BODY_TOO_LARGE', async () => {
    const small = createBucketOrigin({ clock, maxBodyBytes: 5 });
    await assert.rejects(
      small.fetch(origin(), { method: 'GET', uri: '/digits.txt', querystring: '', headers: {} }),
      (e: unknown) => e instanceof VergeError && e.code === 'ORIGIN_BODY_TOO_LARGE',
    );
  });

  test('createOriginClient sends bucket origins to the directory', async () => {
    const client = createOriginClient({ clock });
    try {
      const res = await client.fetch(origin(), { method: 'GET', uri: '/digits.txt', querystring: 'x=1', headers: {} });
      assert.equal(res.body.toString(), DIGITS);
    } finally {
      await client.close();
    }
  });
});

describe('bucket: conditional requests', () => {
  const etag = md5(INDEX);
  test('If-None-Match: matching (strong, weak, list, *) → 304 with validators; other → 200', async () => {
    for (const inm of [etag, `W/${etag}`, `"x", ${etag}`, '*']) {
      const res = await fetch('/index.html', { 'If-None-Match': inm });
      assert.equal(res.status, 304, inm);
      assert.equal(res.body.length, 0);
      assert.equal(hv(res.headers, 'etag'), etag);
      assert.equal(hv(res.headers, 'last-modified'), 'Fri, 02 Jan 2026 03:04:05 GMT');
    }
    assert.equal((await fetch('/index.html', { 'If-None-Match': '"other"' })).status, 200);
  });

  test('If-Modified-Since: not modified since → 304; modified since → 200; If-None-Match wins', async () => {
    assert.equal((await fetch('/index.html', { 'If-Modified-Since': 'Fri, 02 Jan 2026 03:04:05 GMT' })).status, 304);
    assert.equal((await fetch('/index.html', { 'If-Modified-Since': 'Sat, 03 Jan 2026 00:00:00 GMT' })).status, 304);
    assert.equal((await fetch('/index.html', { 'If-Modified-Since': 'Fri, 02 Jan 2026 03:04:04 GMT' })).status, 200);
    assert.equal((await fetch('/index.html', { 'If-Modified-Since': 'not a date' })).status, 200);
    const both = { 'If-None-Match': '"other"', 'If-Modified-Since': 'Sat, 03 Jan 2026 00:00:00 GMT' };
    assert.equal((await fetch('/index.html', both)).status, 200);
  });

  test('If-Match and If-Unmodified-Since failures are 412 PreconditionFailed', async () => {
    const a = await fetch('/index.html', { 'If-Match': '"other"' });
    assert.equal(a.status, 412);
    assert.match(a.body.toString(), /PreconditionFailed/);
    assert.equal((await fetch('/index.html', { 'If-Match': etag })).status, 200);
    assert.equal((await fetch('/index.html', { 'If-Unmodified-Since': 'Thu, 01 Jan 2026 00:00:00 GMT' })).status, 412);
  });
});

describe('bucket: ranges', () => {
  test('a single range is 206 with Content-Range and the slice', async () => {
    const cases: Array<[string, string, string]> = [
      ['bytes=0-4', '01234', 'bytes 0-4/10'],
      ['bytes=5-', '56789', 'bytes 5-9/10'],
      ['bytes=-3', '789', 'bytes 7-9/10'],
      ['bytes=8-100', '89', 'bytes 8-9/10'],
      ['bytes=-50', DIGITS, 'bytes 0-9/10'],
    ];
    for (const [range, body, cr] of cases) {
      const res = await fetch('/digits.txt', { Range: range });
      assert.equal(res.status, 206, range);
      assert.equal(res.body.toString(), body, range);
      assert.equal(hv(res.headers, 'content-range'), cr, range);
      assert.equal(hv(res.headers, 'content-length'), String(body.length), range);
    }
  });

  test('an unsatisfiable range is 416 with Content-Range: bytes */size', async () => {
    for (const [uri, range, size] of [
      ['/digits.txt', 'bytes=10-20', 10],
      ['/digits.txt', 'bytes=-0', 10],
      ['/empty.txt', 'bytes=0-0', 0],
    ] as const) {
      const res = await fetch(uri, { Range: range });
      assert.equal(res.status, 416, range);
      assert.equal(hv(res.headers, 'content-range'), `bytes */${size}`);
      assert.match(res.body.toString(), /InvalidRange/);
    }
  });

  test('multiple ranges, other units and bad syntax are ignored (200, whole object)', async () => {
    for (const range of ['bytes=0-1,3-4', 'items=0-1', 'bytes=5-2', 'bytes=x-']) {
      const res = await fetch('/digits.txt', { Range: range });
      assert.equal(res.status, 200, range);
      assert.equal(res.body.toString(), DIGITS);
    }
  });

  test('If-Range applies the range only while the validator matches', async () => {
    const etag = hv((await fetch('/digits.txt')).headers, 'etag')!;
    assert.equal((await fetch('/digits.txt', { Range: 'bytes=0-1', 'If-Range': etag })).status, 206);
    assert.equal((await fetch('/digits.txt', { Range: 'bytes=0-1', 'If-Range': '"stale"' })).status, 200);
  });

  test('HEAD with a range reports the partial length and no body', async () => {
    const res = await fetch('/digits.txt', { Range: 'bytes=0-3' }, 'HEAD');
    assert.equal(res.status, 206);
    assert.equal(res.body.length, 0);
    assert.equal(hv(res.headers, 'content-length'), '4');
  });
});

describe('bucket: files past the whole-read size stream', () => {
  // Files over 4 bytes stream here; every limit on whole reads (maxBodyBytes 5) stops applying.
  const streaming = createBucketOrigin({ clock, wholeMaxBytes: 4, maxBodyBytes: 5 });
  after(() => streaming.close());
  const get = (uri: string, headers: Record<string, string> = {}, streamResponse = true, method = 'GET') =>
    streaming.fetch(origin(), { method, uri, querystring: '', headers: hdrs(headers), streamResponse });
  const text = async (b: Buffer | StreamBody): Promise<string> => {
    assert.ok(!Buffer.isBuffer(b), 'the body was read whole');
    const out: Buffer[] = [];
    for await (const c of b.open()) out.push(c as Buffer);
    return Buffer.concat(out).toString();
  };

  test('a whole file and ranges are read from the file as they are taken, with the MD5 ETag', async () => {
    const res = await get('/digits.txt');
    assert.equal(res.status, 200);
    assert.equal(hv(res.headers, 'etag'), md5(DIGITS));
    assert.equal(hv(res.headers, 'content-length'), '10');
    assert.equal(res.body.length, 10);
    assert.equal(await text(res.body), DIGITS);
    for (const [range, body] of [
      ['bytes=2-5', '2345'],
      ['bytes=-3', '789'],
      ['bytes=8-100', '89'],
    ] as const) {
      const part = await get('/digits.txt', { Range: range });
      assert.equal(part.status, 206, range);
      assert.equal(part.body.length, body.length, range);
      assert.equal(await text(part.body), body, range);
    }
  });

  test('small files, HEAD and callers that want whole bodies are read whole as before', async () => {
    assert.equal((await get('/IMG.PNG')).body.length, 4);
    assert.ok(Buffer.isBuffer((await get('/IMG.PNG')).body));
    const head = await get('/digits.txt', {}, true, 'HEAD');
    assert.ok(Buffer.isBuffer(head.body) && head.body.length === 0);
    assert.equal(hv(head.headers, 'content-length'), '10');
    await assert.rejects(
      get('/digits.txt', {}, false),
      (e: unknown) => e instanceof VergeError && e.code === 'ORIGIN_BODY_TOO_LARGE',
    );
  });
});
