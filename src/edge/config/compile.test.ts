import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DistributionConfig } from '../../shared/config/types.js';
import {
  MANAGED_CACHE_POLICIES,
  managedCachePolicy,
  managedOriginRequestPolicy,
  managedResponseHeadersPolicy,
} from '../../shared/config/managed-policies.js';
import { isVergeError } from '../../shared/errors.js';
import { compilePlan } from './compile.js';

const BASE = '/srv/site';

function example(): DistributionConfig {
  return {
    id: 'demo',
    aliases: ['localhost', '127.0.0.1'],
    origins: [{ id: 'app', domainName: '127.0.0.1', port: 9000, protocol: 'http' }],
    defaultCacheBehavior: { targetOriginId: 'app', cachePolicy: 'CachingOptimized' },
    cacheBehaviors: [
      {
        pathPattern: '/api/*',
        targetOriginId: 'app',
        cachePolicy: 'CachingDisabled',
        allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
      },
    ],
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected a throw');
}

describe('compilePlan: the issue example', () => {
  const plan = compilePlan([{ config: example(), baseDir: BASE }]);
  const d = plan.distributions[0]!;

  test('distribution defaults', () => {
    assert.equal(d.id, 'demo');
    assert.equal(d.domainName, 'demo.verge.local');
    assert.equal(d.enabled, true);
    assert.deepEqual([...plan.byHost.keys()].sort(), ['127.0.0.1', 'demo.verge.local', 'localhost']);
    assert.equal(plan.byHost.get('localhost'), d);
    assert.match(plan.version, /^[0-9a-f]{64}$/);
  });

  test('origin defaults in milliseconds', () => {
    const o = d.origins.get('app')!;
    assert.deepEqual(
      {
        kind: o.kind,
        port: o.port,
        protocol: o.protocol,
        originPath: o.originPath,
        attempts: o.connectionAttempts,
        c: o.connectionTimeoutMs,
        r: o.readTimeoutMs,
        k: o.keepaliveTimeoutMs,
      },
      { kind: 'custom', port: 9000, protocol: 'http', originPath: '', attempts: 3, c: 10_000, r: 30_000, k: 5_000 },
    );
  });

  test('behaviors in order with the default last, policies resolved', () => {
    assert.deepEqual(
      d.behaviors.map((b) => b.pathPattern),
      ['/api/*', '*'],
    );
    const [api, def] = d.behaviors as [any, any];
    assert.equal(api.cachePolicy.name, 'CachingDisabled');
    assert.equal(api.cachePolicy.maxTTL, 0);
    assert.deepEqual([...api.allowedMethods], ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE']);
    assert.deepEqual(def.cachePolicy, {
      name: 'CachingOptimized',
      minTTL: 1,
      defaultTTL: 86_400,
      maxTTL: 31_536_000,
      headers: { behavior: 'none', items: [] },
      cookies: { behavior: 'none', items: [] },
      queryStrings: { behavior: 'none', items: [] },
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    assert.deepEqual([...def.allowedMethods], ['GET', 'HEAD']);
    assert.equal(def.compress, true);
    assert.equal(def.viewerProtocolPolicy, 'allow-all');
    assert.equal(def.originRequestPolicy, null);
    assert.equal(def.responseHeadersPolicy, null);
    assert.equal(def.anyFunctions, false);
    assert.deepEqual(Object.values(def.hooks), [null, null, null, null]);
    assert.equal(def.target.kind, 'origin');
  });

  test('behaviorFor: first match wins, default last, path only and case-sensitive', () => {
    assert.equal(d.behaviorFor('/api/users').pathPattern, '/api/*');
    assert.equal(d.behaviorFor('/API/users').pathPattern, '*');
    assert.equal(d.behaviorFor('/').pathPattern, '*');
  });
});

describe('compilePlan: precedence, policies, groups, hooks', () => {
  const config: DistributionConfig = {
    id: 'multi',
    origins: [
      { id: 'a', domainName: 'a.example' },
      { id: 'b', domainName: 'b.example', protocol: 'https' },
      { id: 'files', bucket: { path: './public' } },
    ],
    originGroups: [{ id: 'g', members: ['a', 'b'], failoverCriteria: { statusCodes: [500, 503] } }],
    defaultCacheBehavior: { targetOriginId: 'files' },
    cacheBehaviors: [
      {
        pathPattern: '/img/*.png',
        targetOriginId: 'a',
        originRequestPolicy: 'AllViewerExceptHostHeader',
        responseHeadersPolicy: 'CORS-with-preflight-and-SecurityHeadersPolicy',
      },
      { pathPattern: '/img/*', targetOriginId: 'g', cachePolicy: 'b2884449-e4de-46a7-ac36-70bc7f1ddd6d' },
      {
        pathPattern: 'fn/*',
        targetOriginId: 'b',
        functionAssociations: [
          { eventType: 'viewer-request', function: './functions/auth.js', includeBody: true },
          {
            eventType: 'origin-response',
            function: {
              path: 'functions/pkg',
              name: 'resp',
              env: { K: 'v' },
              secretNames: ['K'],
              timeoutMs: 2000,
              profile: 'relaxed',
            },
          },
        ],
      },
      {
        pathPattern: '/cf/*',
        targetOriginId: 'a',
        functionAssociations: [
          {
            eventType: 'viewer-request',
            function: { path: './functions/cf.js', runtime: 'cloudfront-js-2.0', kvs: { id: 'kv', path: 'kv.json' } },
          },
        ],
      },
      {
        pathPattern: '/py/*',
        targetOriginId: 'a',
        functionAssociations: [
          { eventType: 'origin-request', function: '/abs/handler.py' },
          { eventType: 'viewer-response', function: './functions/auth.js' },
        ],
      },
    ],
  };
  const plan = compilePlan([{ config, baseDir: BASE }]);
  const d = plan.distributions[0]!;

  test('the first matching behavior wins even when a later one also matches', () => {
    assert.equal(d.behaviorFor('/img/a.png').pathPattern, '/img/*.png');
    assert.equal(d.behaviorFor('/img/a.gif').pathPattern, '/img/*');
    assert.equal(d.behaviorFor('/fn/x').pathPattern, 'fn/*');
    assert.equal(d.behaviorFor('/other').pathPattern, '*');
  });

  test('managed policies by name and by ID', () => {
    const [png, img] = d.behaviors as [any, any];
    assert.deepEqual(png.originRequestPolicy, {
      name: 'AllViewerExceptHostHeader',
      headers: { behavior: 'allExcept', items: ['host'] },
      cookies: { behavior: 'all', items: [] },
      queryStrings: { behavior: 'all', items: [] },
    });
    const rhp = png.responseHeadersPolicy;
    assert.equal(rhp.name, 'CORS-with-preflight-and-SecurityHeadersPolicy');
    assert.deepEqual(rhp.cors, {
      allowCredentials: false,
      allowHeaders: ['*'],
      allowMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
      allowOrigins: ['*'],
      exposeHeaders: ['*'],
      originOverride: false,
    });
    assert.deepEqual(rhp.securityHeaders, [
      { header: 'X-Content-Type-Options', value: 'nosniff', override: true },
      { header: 'X-Frame-Options', value: 'SAMEORIGIN', override: false },
      { header: 'Referrer-Policy', value: 'strict-origin-when-cross-origin', override: false },
      { header: 'Strict-Transport-Security', value: 'max-age=31536000', override: false },
      { header: 'X-XSS-Protection', value: '1; mode=block', override: false },
    ]);
    assert.equal(img.cachePolicy.name, 'CachingOptimizedForUncompressedObjects');
    assert.equal(img.cachePolicy.enableAcceptEncodingGzip, false);
  });

  test('origin groups, bucket origins and https defaults', () => {
    const img = d.behaviors[1]!;
    assert.equal(img.target.kind, 'group');
    const g = img.target.kind === 'group' ? img.target.group : undefined;
    assert.equal(g?.primary, d.origins.get('a'));
    assert.equal(g?.secondary, d.origins.get('b'));
    assert.deepEqual([...(g?.statusCodes ?? [])].sort(), [500, 503]);
    assert.equal(d.origins.get('b')!.port, 443);
    const files = d.origins.get('files')!;
    assert.equal(files.kind, 'bucket');
    assert.equal(files.bucketPath, '/srv/site/public');
  });

  test('function associations become FunctionSources on their hooks', () => {
    const fn = d.behaviors[2]!;
    assert.equal(fn.anyFunctions, true);
    assert.equal(fn.hooks['origin-request'], null);
    assert.equal(fn.hooks['viewer-response'], null);
    assert.deepEqual(fn.hooks['viewer-request'], {
      eventType: 'viewer-request',
      includeBody: true,
      source: {
        id: '/srv/site/functions/auth.js',
        name: 'auth',
        version: '$LATEST',
        runtime: 'nodejs',
        handler: 'auth.handler',
        code: { path: '/srv/site/functions/auth.js' },
      },
      canary: null,
    });
    assert.deepEqual(fn.hooks['origin-response']!.source, {
      id: '/srv/site/functions/pkg',
      name: 'resp',
      version: '$LATEST',
      runtime: 'nodejs',
      handler: 'index.handler',
      code: { path: '/srv/site/functions/pkg' },
      env: { K: 'v' },
      secretNames: ['K'],
      profile: 'relaxed',
      overrides: { timeoutMs: 2000 },
    });
    const cf = d.behaviors[3]!.hooks['viewer-request']!.source;
    assert.equal(cf.runtime, 'cloudfront-js-2.0');
    assert.deepEqual(cf.kvs, { id: 'kv', path: '/srv/site/kv.json' });
    const py = d.behaviors[4]!;
    assert.deepEqual(
      [
        py.hooks['origin-request']!.source.runtime,
        py.hooks['origin-request']!.source.handler,
        py.hooks['origin-request']!.source.id,
      ],
      ['python', 'handler.handler', '/abs/handler.py'],
    );
    // The same function description is one shared FunctionSource.
    assert.equal(py.hooks['viewer-response']!.source, fn.hooks['viewer-request']!.source);
  });
});

describe('compilePlan: errors and version', () => {
  test('two distributions claiming one alias (case-insensitive) → CONFIG_DUPLICATE_ALIAS naming both', () => {
    const a = { ...example(), id: 'a', aliases: ['Shop.Example.com'] };
    const b = { ...example(), id: 'b', aliases: ['other.example', 'shop.example.com'] };
    const e = thrown(() =>
      compilePlan([
        { config: a, baseDir: BASE },
        { config: b, baseDir: BASE },
      ]),
    );
    assert.ok(isVergeError(e));
    assert.equal(e.code, 'CONFIG_DUPLICATE_ALIAS');
    assert.match(e.message, /"shop\.example\.com" is claimed by distributions "a" and "b"/);
    assert.deepEqual(e.details?.clashes, [{ host: 'shop.example.com', distributions: ['a', 'b'] }]);
  });

  test('invalid or duplicate-id configs → CONFIG_INVALID with every problem', () => {
    const bad = { ...example(), enabled: 'no' } as unknown as DistributionConfig;
    const e = thrown(() =>
      compilePlan([
        { config: example(), baseDir: BASE },
        { config: example(), baseDir: BASE },
        { config: bad, baseDir: BASE },
      ]),
    );
    assert.ok(isVergeError(e));
    assert.equal(e.code, 'CONFIG_INVALID');
    const problems = e.details?.problems as Array<{ path: string }>;
    assert.deepEqual(problems.map((p) => p.path).sort(), ['$.enabled', '$.id']);
  });

  test('version changes with the config and is independent of key order', () => {
    const v1 = compilePlan([{ config: example(), baseDir: BASE }]).version;
    const reordered = Object.fromEntries(Object.entries(example()).reverse()) as unknown as DistributionConfig;
    assert.equal(compilePlan([{ config: reordered, baseDir: BASE }]).version, v1);
    const changed = { ...example(), comment: 'x' };
    assert.notEqual(compilePlan([{ config: changed, baseDir: BASE }]).version, v1);
    assert.notEqual(compilePlan([{ config: example(), baseDir: '/elsewhere' }]).version, v1);
  });
});

describe('managed policies', () => {
  test('resolve by name and by ID to the same policy', () => {
    for (const m of MANAGED_CACHE_POLICIES) assert.equal(managedCachePolicy(m.id), managedCachePolicy(m.name));
    assert.equal(managedCachePolicy('4135ea2d-6df8-44a3-9df3-4b5a84be39ad')?.name, 'CachingDisabled');
    assert.equal(managedOriginRequestPolicy('216adef6-5c7f-47e4-b989-5492eafa07d3')?.name, 'AllViewer');
    assert.equal(managedResponseHeadersPolicy('60669652-455b-4ae9-85a4-c4c02393f86c')?.name, 'SimpleCORS');
    assert.equal(managedCachePolicy('cachingoptimized'), undefined, 'names are exact');
  });

  test('spec 7.2 values', () => {
    const amp = compilePlan([
      {
        config: { ...example(), defaultCacheBehavior: { targetOriginId: 'app', cachePolicy: 'Amplify' } },
        baseDir: BASE,
      },
    ]).distributions[0]!.behaviors.at(-1)!.cachePolicy;
    assert.deepEqual([amp.minTTL, amp.defaultTTL, amp.maxTTL], [2, 2, 600]);
    assert.deepEqual(amp.headers, {
      behavior: 'whitelist',
      items: ['authorization', 'cloudfront-viewer-country', 'host'],
    });
    assert.equal(amp.cookies.behavior, 'all');
    const mp = managedCachePolicy('Elemental-MediaPackage')!.config;
    assert.deepEqual(
      [mp.minTTL, mp.enableAcceptEncodingGzip, mp.enableAcceptEncodingBrotli, mp.queryStrings],
      [0, true, false, { whitelist: ['aws.manifestfilter', 'start', 'end', 'm'] }],
    );
  });

  test('a behavior without a cache policy gets CachingOptimized', () => {
    const d = compilePlan([
      { config: { ...example(), defaultCacheBehavior: { targetOriginId: 'app' } }, baseDir: BASE },
    ]).distributions[0]!;
    assert.equal(d.behaviors.at(-1)!.cachePolicy.name, 'CachingOptimized');
  });
});
