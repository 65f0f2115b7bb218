/**
 * @module test/scenarios/python-examples.test
 * The Python versions of the example functions (examples/python/*) through a real edge and a
 * scripted origin, with the same assertions as their JavaScript versions
 * (functions-examples.test.ts): the effect at the viewer and at the origin, and how often.
 * Each test closes its edge at the end, so only one function's interpreters live at a time.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createSign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { startTestEdge, type TestEdge } from '../harness/edge.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { EXAMPLES, getFrom, loadExample, xCache } from './functions-kit.js';
import { pythonSkipReason } from './python-kit.js';

const skip = pythonSkipReason();
const open: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const x of open.reverse()) await x.close().catch(() => {});
});

async function setup(
  name: string,
  patch?: (c: Record<string, any>) => void,
  extra: Record<string, unknown> = {},
): Promise<{ te: TestEdge; origin: ScriptedOrigin }> {
  const origin = await startOrigin({
    '*': (req) => ({
      status: 200,
      headers: { 'content-type': 'text/html', 'cache-control': 'max-age=60', 'x-seen-uri': req.url },
      body: `origin saw ${req.url}`,
    }),
  });
  open.push(origin);
  const { config, files } = loadExample(`python/${name}`, origin.url);
  patch?.(config as unknown as Record<string, any>);
  const te = await startTestEdge({ configs: [config], files, ...extra });
  open.push(te);
  return { te, origin };
}

describe('python geo-targeting (origin-request, CloudFront-Viewer-Country in the cache key)', { skip }, () => {
  test('rewrites per country, redirects US, caches each country separately', async () => {
    const overrides = join(mkdtempSync(join(tmpdir(), 'verge-geo-')), 'geo.json');
    writeFileSync(
      overrides,
      JSON.stringify({
        '127.0.0.1/32': { countryCode: 'DE' },
        '127.0.0.2/32': { countryCode: 'FR' },
        '127.0.0.3/32': { countryCode: 'US' },
      }),
    );
    const { te, origin } = await setup('geo-targeting', undefined, { geoOverrides: overrides });
    const de = await getFrom(te, '127.0.0.1', '/index.html');
    assert.equal(de.status, 200);
    assert.equal(de.text, 'origin saw /de/index.html');
    assert.equal(origin.requests[0]!.headers['cloudfront-viewer-country'], 'DE');
    const fr = await getFrom(te, '127.0.0.2', '/index.html');
    assert.equal(fr.text, 'origin saw /fr/index.html');
    assert.equal(xCache(fr), 'Miss', 'another country is another cache entry');
    const de2 = await getFrom(te, '127.0.0.1', '/index.html');
    assert.equal(xCache(de2), 'Hit');
    const us = await getFrom(te, '127.0.0.3', '/index.html');
    assert.equal(us.status, 302);
    assert.equal(us.header('location'), 'https://www.example.com/us/index.html');
    const us2 = await getFrom(te, '127.0.0.3', '/index.html');
    assert.equal(us2.status, 302);
    assert.equal(xCache(us2), 'Hit', 'a response generated at origin-request is cached');
    assert.equal(origin.count(), 2, 'the origin saw DE and FR once each, never US');
    await te.close();
  });
});

function jwt(privateKey: string, claims: Record<string, unknown>): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${head}.${createSign('RSA-SHA256').update(head).sign(privateKey).toString('base64url')}`;
}

describe('python auth-jwt (viewer-request, RS256 in pure Python)', { skip }, () => {
  test('valid tokens pass with the subject forwarded; missing, forged and expired tokens get 401', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const { te, origin } = await setup('auth-jwt', (c) => {
      c.defaultCacheBehavior.functionAssociations[0].function.env.JWT_PUBLIC_KEY = publicKey;
    });
    const now = Math.floor(Date.now() / 1000);
    const good = jwt(privateKey, { sub: 'alice', exp: now + 600 });
    const ok = await te.get('/index.html', { headers: { authorization: `Bearer ${good}` } });
    assert.equal(ok.status, 200);
    assert.equal(origin.requests[0]!.headers['x-verified-sub'], 'alice');
    assert.equal(origin.requests[0]!.headers['authorization'], undefined);
    const viaCookie = await te.get('/index.html', { headers: { cookie: `theme=dark; token=${good}` } });
    assert.equal(viaCookie.status, 200);
    for (const headers of [
      {} as Record<string, string>,
      { authorization: `Bearer ${jwt(other.privateKey, { sub: 'mallory', exp: now + 600 })}` },
      { authorization: `Bearer ${jwt(privateKey, { sub: 'alice', exp: now - 1 })}` },
      { authorization: 'Bearer not.a.jwt' },
    ]) {
      const r = await te.get('/index.html', { headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(xCache(r), 'LambdaGeneratedResponse');
      assert.match(r.header('www-authenticate') ?? '', /^Bearer/);
    }
    assert.equal(origin.count(), 1, 'rejected viewers never reach the origin; the second valid one was a hit');
    const reasons = te.logs.lines.filter((l) => l.type === 'function-log').map((l) => l.msg);
    assert.ok(
      reasons.includes('token rejected: bad signature') &&
        reasons.includes('token rejected: expired') &&
        reasons.includes('token rejected: no token'),
      JSON.stringify(reasons),
    );
    await te.close();
  });
});

describe('python personalization (viewer-request, cookie to a cache-key header)', { skip }, () => {
  test('one cache entry per tier, whatever the other cookies', async () => {
    const { te, origin } = await setup('personalization');
    const p1 = await te.get('/', { headers: { cookie: 'tier=premium; session=1' } });
    const p2 = await te.get('/', { headers: { cookie: 'session=2; tier=PREMIUM' } });
    const s1 = await te.get('/', { headers: { cookie: 'tier=standard' } });
    const a1 = await te.get('/', { headers: { cookie: 'tier=gold' } });
    const a2 = await te.get('/');
    assert.deepEqual([p1, p2, s1, a1, a2].map(xCache), ['Miss', 'Hit', 'Miss', 'Miss', 'Hit']);
    assert.deepEqual(
      origin.requests.map((r) => r.headers['x-tier']),
      ['premium', 'standard', 'anonymous'],
    );
    assert.equal(origin.requests[0]!.headers['cookie'], undefined, 'cookies are not forwarded');
    await te.close();
  });
});

describe('python seo-rewrite (viewer-request)', { skip }, () => {
  test('legacy 301s, trailing-slash and index.html rules, internal rewrite', async () => {
    const { te, origin } = await setup('seo-rewrite');
    const cases: Array<[string, number, string]> = [
      ['/about-us.html', 301, '/about/'],
      ['/news/2019/launch?ref=x', 301, '/blog/2019/launch?ref=x'],
      ['/blog/hello/index.html', 301, '/blog/hello/'],
      ['/about', 301, '/about/'],
    ];
    for (const [path, status, location] of cases) {
      const r = await te.get(path);
      assert.equal(r.status, status, path);
      assert.equal(r.header('location'), location, path);
    }
    assert.equal(origin.count(), 0, 'redirects generated at viewer-request never reach the origin');
    assert.equal((await te.get('/about/')).text, 'origin saw /about/index.html');
    assert.equal((await te.get('/style.css')).text, 'origin saw /style.css');
    const again = await te.get('/about/');
    assert.equal(xCache(again), 'Hit');
    assert.equal(origin.count(), 2);
    await te.close();
  });
});

describe('python security-headers (origin-response)', { skip }, () => {
  test('headers added and origin software headers removed, cached with the object', async () => {
    const { te, origin } = await setup('security-headers');
    origin.route('/page', {
      status: 200,
      headers: {
        'content-type': 'text/html',
        'cache-control': 'max-age=60',
        server: 'nginx/1.25',
        'x-powered-by': 'PHP/8',
      },
      body: 'page',
    });
    const first = await te.get('/page');
    const second = await te.get('/page');
    for (const r of [first, second]) {
      assert.equal(r.header('strict-transport-security'), 'max-age=63072000; includeSubDomains; preload');
      assert.match(r.header('content-security-policy') ?? '', /default-src 'self'/);
      assert.equal(r.header('x-frame-options'), 'DENY');
      assert.equal(r.header('x-content-type-options'), 'nosniff');
      assert.equal(r.header('x-powered-by'), undefined);
      assert.notEqual(r.header('server'), 'nginx/1.25');
    }
    assert.equal(xCache(second), 'Hit');
    const ran = te.accessLog.flatMap((l) => (l.functions as Array<{ eventType: string }> | undefined) ?? []);
    assert.equal(ran.filter((f) => f.eventType === 'origin-response').length, 1, 'the hit ran no function');
    assert.equal(origin.count('/page'), 1);
    await te.close();
  });
});

describe('python cache-key-normalization (viewer-request)', { skip }, () => {
  test('case, order and tracking parameters no longer split the cache', async () => {
    const { te, origin } = await setup('cache-key-normalization');
    const a = await te.get('/list?Size=M&Color=red&utm_source=mail&gclid=123');
    const b = await te.get('/list?color=red&size=M');
    const c = await te.get('/list?color=Red&size=M');
    assert.deepEqual([a, b, c].map(xCache), ['Miss', 'Hit', 'Miss']);
    assert.deepEqual(
      origin.requests.map((r) => r.url),
      ['/list?color=red&size=M', '/list?color=Red&size=M'],
    );
    await te.close();
  });
});

describe('python ab-testing (viewer-request + viewer-response, two handlers in one module)', { skip }, () => {
  test('sticky cookie keeps the group; new viewers are assigned by weight and get the cookie', async () => {
    const { te, origin } = await setup('ab-testing', (c) => {
      c.defaultCacheBehavior.functionAssociations[0].function.env.B_PERCENT = '100';
    });
    const fresh = await te.get('/index.html');
    assert.equal(fresh.text, 'origin saw /b/index.html', 'B_PERCENT=100 sends every new viewer to B');
    assert.match(String(fresh.headers['set-cookie']), /^ab-group=b; Path=\//);
    const stickyA = await te.get('/index.html', { headers: { cookie: 'ab-group=a' } });
    assert.equal(stickyA.text, 'origin saw /a/index.html');
    assert.equal(stickyA.headers['set-cookie'], undefined, 'a returning viewer gets no new cookie');
    const stickyB = await te.get('/index.html', { headers: { cookie: 'x=1; ab-group=b' } });
    assert.equal(xCache(stickyB), 'Hit');
    assert.equal(origin.count(), 2);
    await te.close();
  });
});

describe('python packaged (folder with a vendored dependency, handler app.lambda_handler)', { skip }, () => {
  test('the folder package and a zip of it route titles to slugs', async () => {
    const { te, origin } = await setup('packaged');
    const r = await te.get('/posts/Hello,%20W%C3%B6rld!');
    assert.equal(r.text, 'origin saw /posts/hello-world.html');
    await te.close();
    const root = join(EXAMPLES, 'python', 'packaged', 'function');
    const zip = zipSync({
      'app.py': readFileSync(join(root, 'app.py')),
      'tiny_slug/__init__.py': readFileSync(join(root, 'tiny_slug/__init__.py')),
    });
    const { config } = loadExample('python/packaged', origin.url);
    (config.defaultCacheBehavior.functionAssociations![0]!.function as { path: string }).path = './function.zip';
    const te2 = await startTestEdge({ configs: [config], files: { 'function.zip': Buffer.from(zip) } });
    open.push(te2);
    assert.equal((await te2.get('/posts/Zip%20Works')).text, 'origin saw /posts/zip-works.html');
    await te2.close();
  });
});
