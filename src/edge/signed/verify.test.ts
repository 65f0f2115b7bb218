import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, createSign, generateKeyPairSync } from 'node:crypto';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { glob, resourceMatches, type UrlParts } from './policy.js';
import { stripSignedCookies, stripSignedParams, verifySigned, type SignedInput } from './verify.js';
import { encodeCloudFrontBase64 } from './policy.js';

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KEYS = new Map([
  ['K2JCJMDEHXQW5F', createPublicKey(pair.publicKey.export({ type: 'spki', format: 'pem' }))],
  ['KOTHER', other.publicKey],
]);
const NOW = 1_800_000_000;
const iso = (sec: number) => new Date(sec * 1000).toISOString();

/** The request the edge would see for a full URL. */
function requestFor(full: string, extra: Partial<SignedInput> = {}): SignedInput {
  const u = new URL(full);
  return {
    scheme: u.protocol.slice(0, -1),
    host: u.host,
    path: u.pathname,
    query: u.search.slice(1),
    cookies: [],
    clientIp: '192.0.2.10',
    nowSec: NOW,
    ...extra,
  };
}

const sign = (o: Record<string, unknown>) =>
  getSignedUrl({ keyPairId: 'K2JCJMDEHXQW5F', privateKey, ...o } as Parameters<typeof getSignedUrl>[0]);

describe('signed URLs made by @aws-sdk/cloudfront-signer', () => {
  test('canned policy: accepted until Expires, with the signing parameters stripped', () => {
    const url = sign({ url: 'https://d111.example/img/a.jpg?size=large', dateLessThan: iso(NOW + 60) });
    assert.match(url, /[?&]Expires=\d+&/);
    const req = requestFor(url);
    assert.deepEqual(verifySigned(req, KEYS), { ok: true, via: 'url', keyPairId: 'K2JCJMDEHXQW5F' });
    assert.equal(stripSignedParams(req.query), 'size=large');
    const late = verifySigned({ ...req, nowSec: NOW + 60 }, KEYS);
    assert.equal(late.ok === false && late.code, 'AccessDenied');
    assert.match(late.ok ? '' : late.reason, /expired/);
  });

  test('canned policy: another path, host, scheme or an extra parameter breaks it', () => {
    const url = sign({ url: 'https://d111.example/img/a.jpg', dateLessThan: iso(NOW + 60) });
    for (const changed of [
      url.replace('/img/a.jpg', '/img/b.jpg'),
      url.replace('d111.example', 'd222.example'),
      url.replace('https:', 'http:'),
      url + '&extra=1',
    ]) {
      const r = verifySigned(requestFor(changed), KEYS);
      assert.equal(r.ok === false && r.code, 'AccessDenied', changed);
    }
  });

  test('custom policy: wildcard resource, start date and IP range', () => {
    const url = sign({
      url: 'https://d111.example/videos/*',
      dateLessThan: iso(NOW + 600),
      dateGreaterThan: iso(NOW - 10),
      ipAddress: '192.0.2.0/24',
    });
    assert.match(url, /Policy=/);
    const signed = new URL(url);
    // The same signature opens any file under /videos/.
    const other = `https://d111.example/videos/b/c.m3u8?${signed.search.slice(1)}&q=1`;
    assert.equal(verifySigned(requestFor(other), KEYS).ok, true);
    const outside = verifySigned(requestFor(other.replace('/videos/', '/music/')), KEYS);
    assert.match(outside.ok ? '' : outside.reason, /does not match/);
    const early = verifySigned(requestFor(other, { nowSec: NOW - 10 }), KEYS);
    assert.match(early.ok ? '' : early.reason, /not valid before/);
    const elsewhere = verifySigned(requestFor(other, { clientIp: '198.51.100.7' }), KEYS);
    assert.match(elsewhere.ok ? '' : elsewhere.reason, /outside 192\.0\.2\.0\/24/);
    const v6 = verifySigned(requestFor(other, { clientIp: '2001:db8::1' }), KEYS);
    assert.equal(v6.ok, false);
    assert.equal(verifySigned(requestFor(other, { clientIp: '::ffff:192.0.2.99' }), KEYS).ok, true);
  });

  test('custom policy with an exact URL and a query (a plain "?" in Resource, as the SDK writes it)', () => {
    const url = sign({
      url: 'https://d111.example/a.txt?v=2',
      dateLessThan: iso(NOW + 60),
      dateGreaterThan: iso(NOW - 60),
    });
    assert.equal(verifySigned(requestFor(url), KEYS).ok, true);
    const r = verifySigned(requestFor(url.replace('v=2', 'v=3')), KEYS);
    assert.equal(r.ok, false);
  });

  test('SHA-256 signatures (Hash-Algorithm=SHA256) verify too', () => {
    const url = sign({ url: 'https://d111.example/x', dateLessThan: iso(NOW + 60), algorithm: 'SHA256' });
    assert.match(url, /Hash-Algorithm=SHA256/);
    assert.equal(verifySigned(requestFor(url), KEYS).ok, true);
    assert.equal(stripSignedParams(new URL(url).search.slice(1)), '');
  });

  test('a tampered signature, a key from another group and a missing Key-Pair-Id', () => {
    const url = sign({ url: 'https://d111.example/x', dateLessThan: iso(NOW + 60) });
    const sig = new URL(url).searchParams.get('Signature')!;
    const flipped = sig[5] === 'A' ? 'B' : 'A';
    const tampered = url.replace(sig, sig.slice(0, 5) + flipped + sig.slice(6));
    const t = verifySigned(requestFor(tampered), KEYS);
    assert.equal(t.ok === false && t.code, 'AccessDenied');
    assert.match(t.ok ? '' : t.reason, /does not verify/);
    const wrongKey = verifySigned(requestFor(url.replace('K2JCJMDEHXQW5F', 'KOTHER')), KEYS);
    assert.equal(wrongKey.ok === false && wrongKey.code, 'AccessDenied');
    const unknown = verifySigned(requestFor(url.replace('K2JCJMDEHXQW5F', 'KNOPE')), KEYS);
    assert.equal(unknown.ok === false && unknown.code, 'InvalidKey');
    const missing = verifySigned(requestFor(url.replace(/&Key-Pair-Id=[^&]+/, '')), KEYS);
    assert.equal(missing.ok === false && missing.code, 'MissingKey');
    const none = verifySigned(requestFor('https://d111.example/x'), KEYS);
    assert.equal(none.ok === false && none.code, 'MissingKey');
  });

  test('malformed policies: bad base64 JSON, no DateLessThan, Expires in milliseconds', () => {
    const base = 'https://d111.example/x?Signature=abc&Key-Pair-Id=K2JCJMDEHXQW5F';
    const bad = (q: string) => verifySigned(requestFor(`${base}&${q}`), KEYS);
    for (const q of [
      'Policy=bm90IGpzb24_',
      `Policy=${encodeCloudFrontBase64('{"Statement":[{"Resource":"*","Condition":{}}]}')}`,
      `Policy=${encodeCloudFrontBase64('{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":"1"}}}]}')}`,
      `Expires=${Date.now() + 30000}`,
    ]) {
      const r = bad(q);
      assert.equal(r.ok === false && r.code, 'MalformedPolicy', q);
    }
  });
});

describe('signed cookies made by @aws-sdk/cloudfront-signer', () => {
  const cookieHeader = (c: object) =>
    Object.entries(c as Record<string, string | undefined>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');

  test('custom policy cookies open every matching URL; the URL parameters win over cookies', () => {
    const cookies = getSignedCookies({
      url: 'https://d111.example/private/*',
      keyPairId: 'K2JCJMDEHXQW5F',
      privateKey,
      dateLessThan: iso(NOW + 60),
      dateGreaterThan: iso(NOW - 60),
    });
    const header = `session=1; ${cookieHeader(cookies)}`;
    const req = requestFor('https://d111.example/private/a/b.html', { cookies: [header] });
    assert.deepEqual(verifySigned(req, KEYS), { ok: true, via: 'cookie', keyPairId: 'K2JCJMDEHXQW5F' });
    assert.equal(stripSignedCookies(header), 'session=1');
    // A URL that carries signing parameters is judged by them alone.
    const withParams = requestFor('https://d111.example/private/a.html?Expires=1', { cookies: [header] });
    assert.equal(verifySigned(withParams, KEYS).ok, false);
    const outside = verifySigned(requestFor('https://d111.example/public/a.html', { cookies: [header] }), KEYS);
    assert.equal(outside.ok, false);
  });

  test('canned policy cookies are valid for the one URL they name', () => {
    const cookies = getSignedCookies({
      url: 'https://d111.example/one.mp4',
      keyPairId: 'K2JCJMDEHXQW5F',
      privateKey,
      dateLessThan: iso(NOW + 60),
    });
    assert.ok(cookies['CloudFront-Expires']);
    const header = cookieHeader(cookies);
    assert.equal(verifySigned(requestFor('https://d111.example/one.mp4', { cookies: [header] }), KEYS).ok, true);
    assert.equal(verifySigned(requestFor('https://d111.example/two.mp4', { cookies: [header] }), KEYS).ok, false);
  });
});

describe('policy building blocks', () => {
  test('a hand-made canned signature over the documented statement verifies (no SDK involved)', () => {
    const resource = 'http://d111.example/horizon.jpg?size=large&license=yes';
    const policy = `{"Statement":[{"Resource":"${resource}","Condition":{"DateLessThan":{"AWS:EpochTime":${NOW + 5}}}}]}`;
    const sig = encodeCloudFrontBase64(createSign('RSA-SHA1').update(policy).sign(privateKey));
    assert.match(sig, /^[A-Za-z0-9~_-]+$/);
    const url = `${resource}&Expires=${NOW + 5}&Signature=${sig}&Key-Pair-Id=K2JCJMDEHXQW5F`;
    assert.equal(verifySigned(requestFor(url), KEYS).ok, true);
    // Signing parameters may come before the viewer's own ("in certain rare circumstances").
    const reordered = `http://d111.example/horizon.jpg?Expires=${NOW + 5}&Signature=${sig}&Key-Pair-Id=K2JCJMDEHXQW5F&size=large&license=yes`;
    assert.equal(verifySigned(requestFor(reordered), KEYS).ok, true);
  });

  const parts = (u: string): UrlParts => {
    const x = new URL(u);
    return { scheme: x.protocol.slice(0, -1), host: x.host, path: x.pathname, query: x.search.slice(1) };
  };
  test('resource wildcards follow the documented sections and exceptions', () => {
    const m = (p: string, u: string) => resourceMatches(p, parts(u));
    assert.ok(m('*', 'http://a.example/x?y'));
    assert.ok(m('https://www.example.com/hello*world', 'https://www.example.com/hello-world'));
    assert.ok(!m('https://www.example.com/hello*world', 'https://www.example.net/hello-world'));
    assert.ok(!m('https://www.example.com/hello*world', 'https://www.example.com/hello?world'));
    assert.ok(m('http://example.com/hello*', 'http://example.com/hello/there?a=1'));
    assert.ok(m('http://example.com*', 'http://example.com/any/path?q'));
    assert.ok(m('*example.com', 'https://www.example.com/'));
    assert.ok(!m('*example.com', 'https://www.example.com/deeper'));
    assert.ok(
      m('https://d111.example/*game_download.zip*', 'https://d111.example/example_game_download.zip?license=yes'),
    );
    assert.ok(m('https://*', 'https://d111.example/training/orientation.pdf'));
    assert.ok(!m('https://*', 'http://d111.example/training/orientation.pdf'));
    assert.ok(m('https://d111.example/img\\?size=*', 'https://d111.example/img?size=large'));
    assert.ok(!m('https://d111.example/img\\?size=*', 'https://d111.example/img?color=red'));
    assert.ok(m('https://d111.example/file?.jpg', 'https://d111.example/file1.jpg'));
    assert.ok(!m('https://d111.example/file?.jpg', 'https://d111.example/file12.jpg'));
  });

  test('glob stays linear on hostile patterns', () => {
    const text = 'a'.repeat(5000);
    const pattern = '*a'.repeat(50) + 'b';
    const before = process.cpuUsage();
    assert.equal(glob(pattern, text, ''), false);
    const used = process.cpuUsage(before);
    // 50 stars × 5,000 characters is 250,000 steps at most; far below a second of CPU.
    assert.ok(used.user + used.system < 1_000_000, `${used.user + used.system} µs`);
  });
});
