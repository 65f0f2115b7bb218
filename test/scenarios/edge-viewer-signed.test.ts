/**
 * @module test/scenarios/edge-viewer-signed
 * Signed URLs and signed cookies through a real edge, made by AWS's own signer
 * (`@aws-sdk/cloudfront-signer`) and sent unchanged: canned and custom policies, an expired URL, a
 * tampered one, an IP-restricted one (viewers on different loopback addresses), CloudFront's XML
 * 403 answers, the signing parameters and cookies kept from the cache key and the origin, and a
 * behavior without trusted key groups that ignores them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, getFrom, startTestEdge, type TestEdge } from '../harness/edge.js';

const KEY_ID = 'K2JCJMDEHXQW5F';
const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;

const BASE = 'http://test.local';
const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();
/** Path and query of a full URL: what the edge is asked for. */
const target = (url: string) => url.slice(BASE.length);

let origin: ScriptedOrigin;
let te: TestEdge;

const allParams = { name: 'fwd', headers: 'allViewer', cookies: 'all', queryStrings: 'all' };
before(async () => {
  origin = await startOrigin({
    '*': (req) => ({
      headers: { 'cache-control': 'max-age=600' },
      body: `origin ${req.url} cookie=${req.headers.cookie ?? '-'}`,
    }),
  });
  te = await startTestEdge({
    configs: [
      distribution(origin.port, {
        keyGroups: [{ id: 'signers', name: 'signers', publicKeys: [{ id: KEY_ID, encodedKey: publicPem }] }],
        cacheBehaviors: [
          {
            pathPattern: '/private/*',
            targetOriginId: 'o1',
            trustedKeyGroups: ['signers'],
            cachePolicy: { minTTL: 0, defaultTTL: 60, maxTTL: 600, queryStrings: 'all', cookies: 'all' },
            originRequestPolicy: allParams,
          },
        ],
        defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: 'CachingDisabled', originRequestPolicy: allParams },
      }),
    ],
  });
});

after(async () => {
  await te?.close();
  await origin?.close();
});

describe('signed URLs', () => {
  test('canned policy: served, and the origin and the cache key never see Expires/Signature/Key-Pair-Id', async () => {
    const url = getSignedUrl({
      url: `${BASE}/private/a.txt?v=1`,
      keyPairId: KEY_ID,
      privateKey,
      dateLessThan: inAnHour(),
    });
    assert.match(url, /[?&]Expires=\d+&/);
    const r = await te.get(target(url));
    assert.equal(r.status, 200);
    assert.equal(r.text, 'origin /private/a.txt?v=1 cookie=-');
    // A second URL for the same file, signed later with another expiry, is the same cache object.
    const again = getSignedUrl({
      url: `${BASE}/private/a.txt?v=1`,
      keyPairId: KEY_ID,
      privateKey,
      dateLessThan: new Date(Date.now() + 7200_000).toISOString(),
    });
    const hit = await te.get(target(again));
    assert.equal(hit.status, 200);
    assert.equal(hit.header('x-cache'), 'Hit from verge');
    assert.equal(origin.count('/private/a.txt'), 1);
    const log = te.accessLog.find((l) => l['cs-uri-stem'] === '/private/a.txt');
    assert.equal(log?.['cs-uri-query'], 'v=1', 'the access log shows the query without the signature');
  });

  test('custom policy with a wildcard resource opens every file under it', async () => {
    const url = getSignedUrl({
      url: `${BASE}/private/videos/*`,
      keyPairId: KEY_ID,
      privateKey,
      dateLessThan: inAnHour(),
      dateGreaterThan: new Date(Date.now() - 60_000).toISOString(),
    });
    const query = new URL(url).search;
    assert.match(query, /Policy=/);
    for (const file of ['/private/videos/1.ts', '/private/videos/hd/2.ts']) {
      const r = await te.get(file + query);
      assert.equal(r.status, 200, file);
      assert.equal(r.text, `origin ${file} cookie=-`);
    }
    assert.equal((await te.get('/private/music/1.mp3' + query)).status, 403);
  });

  test('an expired URL gets CloudFront 403 AccessDenied, and the access log says why', async () => {
    const url = getSignedUrl({
      url: `${BASE}/private/old.txt`,
      keyPairId: KEY_ID,
      privateKey,
      dateLessThan: new Date(Date.now() - 60_000).toISOString(),
    });
    const r = await te.get(target(url));
    assert.equal(r.status, 403);
    assert.equal(r.header('content-type'), 'text/xml');
    assert.equal(r.header('x-cache'), 'Error from verge');
    assert.equal(
      r.text,
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>',
    );
    assert.equal(origin.count('/private/old.txt'), 0);
    const log = te.accessLog.find((l) => l['cs-uri-stem'] === '/private/old.txt');
    assert.match(String(log?.['x-edge-error']), /SIGNED_URL_ACCESS_DENIED: expired at/);
  });

  test('a tampered URL (changed path, query or signature) or another private key is refused', async () => {
    const url = getSignedUrl({
      url: `${BASE}/private/doc.pdf`,
      keyPairId: KEY_ID,
      privateKey,
      dateLessThan: inAnHour(),
    });
    const sig = new URL(url).searchParams.get('Signature')!;
    const swapped = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11);
    for (const bad of [
      url.replace('/doc.pdf', '/other.pdf'),
      url.replace('?', '?admin=1&'),
      url.replace(sig, swapped),
      getSignedUrl({
        url: `${BASE}/private/doc.pdf`,
        keyPairId: KEY_ID,
        privateKey: stranger,
        dateLessThan: inAnHour(),
      }),
    ]) {
      const r = await te.get(target(bad));
      assert.equal(r.status, 403, bad);
      assert.match(r.text, /<Code>AccessDenied<\/Code>/);
    }
    assert.equal(origin.count('/private/doc.pdf') + origin.count('/private/other.pdf'), 0);
  });

  test('an IP-restricted URL is served to that address only', async () => {
    const url = getSignedUrl({
      url: `${BASE}/private/ip.txt`,
      keyPairId: KEY_ID,
      privateKey,
      dateLessThan: inAnHour(),
      ipAddress: '127.0.0.2/32',
    });
    const ok = await getFrom(te.url, '127.0.0.2', target(url), { host: 'test.local' });
    assert.equal(ok.status, 200);
    const other = await getFrom(te.url, '127.0.0.3', target(url), { host: 'test.local' });
    assert.equal(other.status, 403);
    assert.match(other.text, /AccessDenied/);
  });

  test('no signature at all, and an unknown Key-Pair-Id, get MissingKey and InvalidKey', async () => {
    const none = await te.get('/private/a.txt');
    assert.equal(none.status, 403);
    assert.equal(
      none.text,
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>',
    );
    const url = getSignedUrl({
      url: `${BASE}/private/a.txt`,
      keyPairId: 'KUNKNOWN',
      privateKey,
      dateLessThan: inAnHour(),
    });
    const unknown = await te.get(target(url));
    assert.equal(unknown.status, 403);
    assert.match(unknown.text, /<Code>InvalidKey<\/Code><Message>Unknown Key<\/Message>/);
  });

  test('a behavior without trusted key groups ignores the parameters and passes them on', async () => {
    const url = getSignedUrl({
      url: `${BASE}/public.txt`,
      keyPairId: 'KUNKNOWN',
      privateKey: stranger,
      dateLessThan: new Date(Date.now() - 60_000).toISOString(),
    });
    const r = await te.get(target(url));
    assert.equal(r.status, 200);
    assert.match(r.text, /^origin \/public\.txt\?Expires=\d+&Key-Pair-Id=KUNKNOWN&Signature=/);
    assert.equal((await te.get('/public.txt')).status, 200);
  });
});

describe('signed cookies', () => {
  const header = (c: object) =>
    Object.entries(c as Record<string, string | undefined>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');

  test('custom policy cookies open the area; the origin gets the other cookies only', async () => {
    const cookies = getSignedCookies({
      url: `${BASE}/private/area/*`,
      keyPairId: KEY_ID,
      privateKey,
      dateLessThan: inAnHour(),
      dateGreaterThan: new Date(Date.now() - 60_000).toISOString(),
    });
    const r = await te.get('/private/area/index.html', { headers: { cookie: `theme=dark; ${header(cookies)}` } });
    assert.equal(r.status, 200);
    assert.equal(r.text, 'origin /private/area/index.html cookie=theme=dark');
    const outside = await te.get('/private/elsewhere.html', { headers: { cookie: header(cookies) } });
    assert.equal(outside.status, 403);
  });

  test('canned policy cookies, and expired ones', async () => {
    const good = getSignedCookies({
      url: `${BASE}/private/c.txt`,
      keyPairId: KEY_ID,
      privateKey,
      dateLessThan: inAnHour(),
    });
    assert.ok(good['CloudFront-Expires']);
    assert.equal((await te.get('/private/c.txt', { headers: { cookie: header(good) } })).status, 200);
    const old = getSignedCookies({
      url: `${BASE}/private/c2.txt`,
      keyPairId: KEY_ID,
      privateKey,
      dateLessThan: new Date(Date.now() - 1000).toISOString(),
    });
    const r = await te.get('/private/c2.txt', { headers: { cookie: header(old) } });
    assert.equal(r.status, 403);
    assert.match(r.text, /AccessDenied/);
  });
});
