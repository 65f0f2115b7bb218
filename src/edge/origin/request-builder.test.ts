/**
 * @module edge/origin/request-builder.test
 * The origin-facing request: header, cookie and query-string forwarding for each combination of
 * cache policy and origin request policy (spec 7.3), the headers the edge always sets (spec 0
 * step 7, 7.12), Accept-Encoding normalization (7.2), the `origin` member (1.3, 1.8) and the
 * conversion back to what the origin client sends.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VergeError } from '../../shared/errors.js';
import type { CfHeaders, CfRequest } from '../../shared/lambda-edge/index.js';
import type { CachePolicyPlan, ListPolicy, OriginPlan, OriginRequestPolicyPlan } from '../config/plan.js';
import { createOriginClient } from './client.js';
import { buildOriginRequest, toOriginRequest, viaValue } from './request-builder.js';
import type { BuildOriginRequestInput } from './request-builder.js';

const none: ListPolicy = { behavior: 'none', items: [] };
const wl = (...items: string[]): ListPolicy => ({ behavior: 'whitelist', items });
const except = (...items: string[]): ListPolicy => ({ behavior: 'allExcept', items });
const all: ListPolicy = { behavior: 'all', items: [] };

function cp(over: Partial<CachePolicyPlan> = {}): CachePolicyPlan {
  return {
    name: 'cp',
    minTTL: 0,
    defaultTTL: 86_400,
    maxTTL: 31_536_000,
    headers: none,
    cookies: none,
    queryStrings: none,
    enableAcceptEncodingGzip: false,
    enableAcceptEncodingBrotli: false,
    ...over,
  };
}

function orp(over: Partial<OriginRequestPolicyPlan> = {}): OriginRequestPolicyPlan {
  return { name: 'orp', headers: { behavior: 'none', items: [] }, cookies: none, queryStrings: none, ...over };
}

function origin(over: Partial<OriginPlan> = {}): OriginPlan {
  return {
    id: 'app',
    kind: 'custom',
    domainName: 'origin.example.net',
    port: 443,
    protocol: 'https',
    originPath: '/v1',
    customHeaders: [['X-Origin-Secret', 's3cr3t']],
    connectionAttempts: 2,
    connectionTimeoutMs: 3000,
    readTimeoutMs: 30_000,
    keepaliveTimeoutMs: 5000,
    ...over,
  };
}

function headers(pairs: Array<[string, string]>): CfHeaders {
  const h: CfHeaders = {};
  for (const [k, v] of pairs) (h[k.toLowerCase()] ??= []).push({ key: k, value: v });
  return h;
}

function viewer(over: Partial<CfRequest> = {}): CfRequest {
  return {
    clientIp: '198.51.100.23',
    method: 'GET',
    uri: '/img/logo.png',
    querystring: 'a=1&b=2&utm=3&a=4',
    headers: headers([
      ['Host', 'www.example.com'],
      ['User-Agent', 'Mozilla/5.0'],
      ['Accept', 'image/avif'],
      ['accept-language', 'de'],
      ['Authorization', 'Bearer t'],
      ['Cookie', 'a=1; b=2'],
      ['Cookie', 'c=3'],
      ['X-Forwarded-For', '203.0.113.9'],
      ['Via', '1.1 corp-proxy'],
      ['Accept-Encoding', 'gzip, deflate, br'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Real-IP', '10.0.0.1'],
      ['X-Amz-Cf-Id', 'spoofed'],
      ['X-Edge-Location', 'spoofed'],
      ['Connection', 'keep-alive'],
      ['Keep-Alive', 'timeout=5'],
      ['TE', 'trailers'],
      ['CloudFront-Viewer-Country', 'XX'],
      ['X-App', 'one'],
      ['X-App', 'two'],
    ]),
    ...over,
  };
}

const computed = headers([
  ['CloudFront-Viewer-Country', 'DE'],
  ['CloudFront-Is-Mobile-Viewer', 'false'],
  ['CloudFront-Viewer-Address', '198.51.100.23:50000'],
  ['CloudFront-Viewer-Header-Order', 'host:user-agent'],
]);

function build(over: Partial<BuildOriginRequestInput> = {}): CfRequest {
  return buildOriginRequest({
    viewer: viewer(),
    cachePolicy: cp(),
    originRequestPolicy: null,
    origin: origin(),
    acceptEncoding: undefined,
    cloudFrontHeaders: computed,
    viewerHttpVersion: '1.1',
    viaToken: '1.1 pop1.verge (Verge)',
    ...over,
  });
}

const value = (r: CfRequest, name: string) => r.headers[name]?.map((e) => e.value).join(' | ');
const names = (r: CfRequest) => Object.keys(r.headers).sort();

describe('request builder: headers the edge always sets', () => {
  test('with no policy forwarding anything, only Host, User-Agent, Via and X-Forwarded-For are sent', () => {
    const r = build();
    assert.deepEqual(names(r), ['host', 'user-agent', 'via', 'x-forwarded-for']);
    assert.deepEqual(r.headers['host'], [{ key: 'Host', value: 'origin.example.net' }]);
    assert.equal(value(r, 'user-agent'), 'Verge');
    assert.equal(value(r, 'via'), '1.1 corp-proxy, 1.1 pop1.verge (Verge)');
    assert.equal(value(r, 'x-forwarded-for'), '203.0.113.9, 198.51.100.23');
    assert.equal(r.querystring, '');
  });

  test('without incoming Via / X-Forwarded-For, the edge starts them; Via carries the viewer HTTP version', () => {
    const r = build({ viewer: viewer({ headers: headers([['Host', 'www.example.com']]) }), viewerHttpVersion: '2.0' });
    assert.deepEqual(r.headers['via'], [{ key: 'Via', value: '2.0 pop1.verge (Verge)' }]);
    assert.deepEqual(r.headers['x-forwarded-for'], [{ key: 'X-Forwarded-For', value: '198.51.100.23' }]);
    assert.equal(viaValue('1.1 p.verge (Verge)', '2'), '2.0 p.verge (Verge)');
    assert.equal(viaValue('p.verge (Verge)', '1.0'), '1.0 p.verge (Verge)');
  });

  test('disallowed and hop-by-hop headers never pass, even with AllViewer', () => {
    const r = build({ originRequestPolicy: orp({ headers: { behavior: 'allViewer', items: [] } }) });
    for (const h of [
      'x-forwarded-proto',
      'x-real-ip',
      'x-amz-cf-id',
      'x-edge-location',
      'connection',
      'keep-alive',
      'te',
    ]) {
      assert.equal(r.headers[h], undefined, h);
    }
  });

  test('Content-Length stays with a request body', () => {
    const v = viewer({
      method: 'POST',
      headers: headers([
        ['Content-Length', '5'],
        ['Content-Type', 'text/plain'],
      ]),
    });
    const r = build({ viewer: v });
    assert.equal(value(r, 'content-length'), '5');
    assert.equal(r.headers['content-type'], undefined);
  });
});

describe('request builder: header policies (spec 7.3)', () => {
  test('cache policy whitelist forwards those headers with the viewer spelling and every line', () => {
    const r = build({ cachePolicy: cp({ headers: wl('accept-language', 'x-app') }) });
    assert.deepEqual(r.headers['accept-language'], [{ key: 'accept-language', value: 'de' }]);
    assert.equal(value(r, 'x-app'), 'one | two');
    assert.equal(r.headers['accept'], undefined);
    assert.equal(r.headers['authorization'], undefined);
  });

  test('AllViewer forwards every viewer header, including Host and User-Agent', () => {
    const r = build({ originRequestPolicy: orp({ headers: { behavior: 'allViewer', items: [] } }) });
    assert.equal(value(r, 'host'), 'www.example.com');
    assert.equal(value(r, 'user-agent'), 'Mozilla/5.0');
    assert.equal(value(r, 'accept'), 'image/avif');
    assert.equal(value(r, 'authorization'), 'Bearer t');
    assert.equal(value(r, 'accept-encoding'), 'gzip, deflate, br');
    assert.equal(r.headers['cookie'], undefined, 'cookies follow the cookie policy, not the header policy');
    assert.equal(value(r, 'cloudfront-viewer-country'), undefined, 'a viewer cannot spoof CloudFront headers');
  });

  test('AllViewerExceptHostHeader: Host becomes the origin domain, the rest is forwarded', () => {
    const r = build({ originRequestPolicy: orp({ headers: { behavior: 'allExcept', items: ['host'] } }) });
    assert.equal(value(r, 'host'), 'origin.example.net');
    assert.equal(value(r, 'user-agent'), 'Mozilla/5.0');
    assert.equal(value(r, 'accept'), 'image/avif');
  });

  test('union: cache policy allow-list beats the ORP block-list; both allow-lists add up', () => {
    const blocked = build({
      cachePolicy: cp({ headers: wl('authorization') }),
      originRequestPolicy: orp({ headers: { behavior: 'allExcept', items: ['authorization', 'accept'] } }),
    });
    assert.equal(value(blocked, 'authorization'), 'Bearer t');
    assert.equal(blocked.headers['accept'], undefined);
    const both = build({
      cachePolicy: cp({ headers: wl('accept') }),
      originRequestPolicy: orp({ headers: { behavior: 'whitelist', items: ['authorization'] } }),
    });
    assert.equal(value(both, 'accept'), 'image/avif');
    assert.equal(value(both, 'authorization'), 'Bearer t');
    assert.equal(both.headers['accept-language'], undefined);
  });

  test('Host forwarded by the cache policy is the viewer Host', () => {
    assert.equal(value(build({ cachePolicy: cp({ headers: wl('host') }) }), 'host'), 'www.example.com');
  });
});

describe('request builder: CloudFront-* headers (spec 3.3)', () => {
  test('only when a policy names them, with the edge value over a viewer-sent one', () => {
    assert.deepEqual(
      names(build()).filter((n) => n.startsWith('cloudfront-')),
      [],
    );
    const r = build({ cachePolicy: cp({ headers: wl('cloudfront-viewer-country') }) });
    assert.deepEqual(r.headers['cloudfront-viewer-country'], [{ key: 'CloudFront-Viewer-Country', value: 'DE' }]);
    assert.equal(r.headers['cloudfront-is-mobile-viewer'], undefined);
    const o = build({
      originRequestPolicy: orp({ headers: { behavior: 'whitelist', items: ['cloudfront-viewer-address'] } }),
    });
    assert.equal(value(o, 'cloudfront-viewer-address'), '198.51.100.23:50000');
  });

  test('AllViewerAndCloudFrontHeaders adds every computed header except header order/count/JA3', () => {
    const r = build({ originRequestPolicy: orp({ headers: { behavior: 'allViewerAndCloudFront', items: [] } }) });
    assert.equal(value(r, 'cloudfront-viewer-country'), 'DE');
    assert.equal(value(r, 'cloudfront-is-mobile-viewer'), 'false');
    assert.equal(value(r, 'cloudfront-viewer-address'), '198.51.100.23:50000');
    assert.equal(r.headers['cloudfront-viewer-header-order'], undefined);
    assert.equal(value(r, 'accept'), 'image/avif');
  });
});

describe('request builder: Accept-Encoding (spec 7.2)', () => {
  const gzipBr = cp({ enableAcceptEncodingGzip: true, enableAcceptEncodingBrotli: true });
  test('compressed caching on: the normalized value, or identity when the viewer accepts neither', () => {
    assert.deepEqual(build({ cachePolicy: gzipBr, acceptEncoding: 'br,gzip' }).headers['accept-encoding'], [
      { key: 'Accept-Encoding', value: 'br,gzip' },
    ]);
    assert.equal(value(build({ cachePolicy: gzipBr, acceptEncoding: 'identity' }), 'accept-encoding'), 'identity');
    assert.equal(value(build({ cachePolicy: gzipBr, acceptEncoding: undefined }), 'accept-encoding'), 'identity');
    const withOrp = build({
      cachePolicy: gzipBr,
      acceptEncoding: 'gzip',
      originRequestPolicy: orp({ headers: { behavior: 'whitelist', items: ['accept-encoding'] } }),
    });
    assert.equal(value(withOrp, 'accept-encoding'), 'gzip');
  });

  test('compressed caching off: treated like any other header', () => {
    assert.equal(build().headers['accept-encoding'], undefined);
    const fwd = build({ cachePolicy: cp({ headers: wl('accept-encoding') }) });
    assert.equal(value(fwd, 'accept-encoding'), 'gzip, deflate, br');
  });
});

describe('request builder: query strings and cookies', () => {
  const qs = (c: ListPolicy, o?: ListPolicy) =>
    build({ cachePolicy: cp({ queryStrings: c }), originRequestPolicy: o ? orp({ queryStrings: o }) : null })
      .querystring;
  test('query string per policy combination', () => {
    assert.equal(qs(none), '');
    assert.equal(qs(all), 'a=1&b=2&utm=3&a=4');
    assert.equal(qs(wl('a')), 'a=1&a=4');
    assert.equal(qs(except('utm')), 'a=1&b=2&a=4');
    assert.equal(qs(wl('b'), wl('a')), 'a=1&b=2&a=4');
    assert.equal(qs(wl('utm'), except('utm')), 'a=1&b=2&utm=3&a=4');
    assert.equal(qs(except('a'), wl('a')), 'a=1&b=2&utm=3&a=4');
    assert.equal(qs(all, except('a')), 'a=1&b=2&utm=3&a=4');
    assert.equal(qs(none, all), 'a=1&b=2&utm=3&a=4');
    const enc = build({ viewer: viewer({ querystring: 'a%20b=1&c=2' }), cachePolicy: cp({ queryStrings: wl('a b') }) });
    assert.equal(enc.querystring, 'a%20b=1');
  });

  const cookie = (c: ListPolicy, o?: ListPolicy) =>
    value(build({ cachePolicy: cp({ cookies: c }), originRequestPolicy: o ? orp({ cookies: o }) : null }), 'cookie');
  test('cookies per policy combination, rebuilt into one Cookie line', () => {
    assert.equal(cookie(none), undefined);
    assert.equal(cookie(all), 'a=1; b=2; c=3');
    assert.equal(cookie(wl('a', 'c')), 'a=1; c=3');
    assert.equal(cookie(except('b')), 'a=1; c=3');
    assert.equal(cookie(wl('a'), wl('c')), 'a=1; c=3');
    assert.equal(cookie(except('a'), wl('a')), 'a=1; b=2; c=3');
    assert.equal(cookie(none, all), 'a=1; b=2; c=3');
    assert.equal(cookie(wl('zzz')), undefined);
  });
});

describe('request builder: origin member (spec 1.3, 1.8)', () => {
  test('custom origin: shape, seconds, and custom headers kept out of request.headers', () => {
    const r = build();
    assert.deepEqual(r.origin, {
      custom: {
        domainName: 'origin.example.net',
        port: 443,
        protocol: 'https',
        path: '/v1',
        sslProtocols: ['TLSv1.2'],
        readTimeout: 30,
        keepaliveTimeout: 5,
        customHeaders: { 'x-origin-secret': [{ key: 'X-Origin-Secret', value: 's3cr3t' }] },
      },
    });
    assert.equal(r.headers['x-origin-secret'], undefined);
  });

  test('bucket origin: S3 shape', () => {
    const r = build({
      origin: origin({ kind: 'bucket', domainName: 'assets.bucket.verge', bucketPath: '/srv/a', customHeaders: [] }),
    });
    assert.deepEqual(r.origin, {
      s3: { domainName: 'assets.bucket.verge', path: '/v1', region: 'local', authMethod: 'none', customHeaders: {} },
    });
  });
});

describe('toOriginRequest', () => {
  test('adds the custom headers (replacing same-named ones) and follows a function-edited custom origin', () => {
    const cf = build({ viewer: viewer({ headers: headers([['X-Origin-Secret', 'viewer-sent']]) }) });
    cf.headers['x-origin-secret'] = [{ key: 'X-Origin-Secret', value: 'viewer-sent' }];
    const c = (cf.origin as { custom: NonNullable<Extract<CfRequest['origin'], { custom: unknown }>>['custom'] })
      .custom;
    Object.assign(c, {
      domainName: 'other.example.org',
      port: 8443,
      path: '/v2',
      readTimeout: 10,
      keepaliveTimeout: 2,
    });
    c.customHeaders = { 'x-fn': [{ key: 'X-Fn', value: 'yes' }] };
    const base = origin();
    const { origin: t, req } = toOriginRequest(cf, undefined, base);
    assert.equal(t.domainName, 'other.example.org');
    assert.equal(t.port, 8443);
    assert.equal(t.originPath, '/v2');
    assert.equal(t.readTimeoutMs, 10_000);
    assert.equal(t.keepaliveTimeoutMs, 2000);
    assert.equal(t.connectionAttempts, base.connectionAttempts);
    assert.deepEqual(t.customHeaders, [['X-Fn', 'yes']]);
    assert.deepEqual(req.headers['x-fn'], [{ key: 'X-Fn', value: 'yes' }]);
    assert.deepEqual(req.headers['x-origin-secret'], [{ key: 'X-Origin-Secret', value: 'viewer-sent' }]);
    const unchanged = toOriginRequest(build(), undefined, base);
    assert.deepEqual(unchanged.req.headers['x-origin-secret'], [{ key: 'X-Origin-Secret', value: 's3cr3t' }]);
    assert.equal(unchanged.origin.readTimeoutMs, base.readTimeoutMs);
  });

  test('bucket targets: same bucket keeps its directory, others go through the resolver or fail', () => {
    const bucket = origin({ kind: 'bucket', domainName: 'a.bucket.verge', bucketPath: '/srv/a', customHeaders: [] });
    const cf = build({ origin: bucket });
    assert.equal(toOriginRequest(cf, undefined, bucket).origin.bucketPath, '/srv/a');
    const s3 = (cf.origin as { s3: { domainName: string } }).s3;
    s3.domainName = 'b.bucket.verge';
    const resolved = toOriginRequest(cf, undefined, bucket, (d) => (d === 'b.bucket.verge' ? '/srv/b' : undefined));
    assert.equal(resolved.origin.bucketPath, '/srv/b');
    assert.throws(
      () => toOriginRequest(cf, undefined, bucket),
      (e: unknown) => e instanceof VergeError && e.code === 'ORIGIN_DNS_ERROR',
    );
    const toCustom = build({ origin: origin() });
    const fromCustom = toOriginRequest(toCustom, undefined, bucket);
    assert.equal(fromCustom.origin.kind, 'custom');
    assert.equal(fromCustom.origin.bucketPath, undefined);
  });

  test('the body decides Content-Length; a replaced body wins; GET without body sends none', () => {
    const post = build({ viewer: viewer({ method: 'POST', headers: headers([['Content-Length', '99']]) }) });
    const a = toOriginRequest(post, Buffer.from('hello'), origin());
    assert.equal(a.req.body?.toString(), 'hello');
    assert.equal(a.req.headers['content-length']?.[0]?.value, '5');
    post.body = { inputTruncated: false, action: 'replace', encoding: 'text', data: 'replaced!' };
    const b = toOriginRequest(post, Buffer.from('hello'), origin());
    assert.equal(b.req.body?.toString(), 'replaced!');
    assert.equal(b.req.headers['content-length']?.[0]?.value, '9');
    const get = toOriginRequest(build(), Buffer.alloc(0), origin());
    assert.equal(get.req.body, undefined);
    assert.equal(get.req.headers['content-length'], undefined);
  });
});

describe('request builder + client end to end', () => {
  const server = createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
  const client = createOriginClient();
  after(async () => {
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('the origin receives the built request', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const o = origin({ domainName: '127.0.0.1', port, protocol: 'http' });
    const cf = build({ origin: o, cachePolicy: cp({ queryStrings: wl('a'), cookies: wl('c') }) });
    const { origin: target, req } = toOriginRequest(cf, undefined, o);
    const res = await client.fetch(target, req);
    const seen = JSON.parse(res.body.toString()) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/v1/img/logo.png?a=1&a=4');
    assert.equal(seen.headers['host'], '127.0.0.1');
    assert.equal(seen.headers['user-agent'], 'Verge');
    assert.equal(seen.headers['x-origin-secret'], 's3cr3t');
    assert.equal(seen.headers['cookie'], 'c=3');
    assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 198.51.100.23');
    assert.equal(seen.headers['authorization'], undefined);
  });
});
