import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateDistribution } from './validate.js';
import { INCLUDE_BODY_MESSAGE } from './rules-behaviors.js';

/** The example config. */
function example(): Record<string, any> {
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

/** Apply `edit` to a fresh example and return the problem paths (sorted). */
function pathsOf(edit: (c: Record<string, any>) => void): string[] {
  const c = example();
  edit(c);
  const r = validateDistribution(c);
  return r.ok ? [] : r.problems.map((p) => p.path).sort();
}

function problemsOf(edit: (c: Record<string, any>) => void) {
  const c = example();
  edit(c);
  const r = validateDistribution(c);
  return r.ok ? [] : r.problems;
}

describe('validateDistribution', () => {
  test('the example config is valid and returned as is', () => {
    const c = example();
    const r = validateDistribution(c);
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.config, c);
  });

  test('non-objects and missing required fields', () => {
    const r = validateDistribution([]);
    assert.deepEqual(r.ok ? [] : r.problems, [{ path: '$', message: 'must be an object (got array)' }]);
    const r2 = validateDistribution({});
    assert.deepEqual(r2.ok ? [] : r2.problems.map((p) => p.path).sort(), [
      '$.defaultCacheBehavior',
      '$.id',
      '$.origins',
    ]);
  });

  test('three independent problems are all reported', () => {
    const paths = pathsOf((c) => {
      c.origins[0].port = 70000;
      c.cacheBehaviors[0].pathPattern = '/api/<x>';
      c.defaultCacheBehavior.viewerProtocolPolicy = 'https';
    });
    assert.deepEqual(paths, [
      '$.cacheBehaviors[0].pathPattern',
      '$.defaultCacheBehavior.viewerProtocolPolicy',
      '$.origins[0].port',
    ]);
  });

  test('unknown fields are reported with a did-you-mean', () => {
    const ps = problemsOf((c) => {
      c.aliasses = ['x'];
      c.defaultCacheBehavior.targetOrigin = 'app';
      c.origins[0].zzzzzzzz = 1;
    });
    const byPath = new Map(ps.map((p) => [p.path, p.message]));
    assert.match(byPath.get('$.aliasses')!, /did you mean "aliases"/);
    assert.match(byPath.get('$.defaultCacheBehavior.targetOrigin')!, /did you mean "targetOriginId"/);
    assert.equal(byPath.get('$.origins[0].zzzzzzzz'), 'unknown field "zzzzzzzz"');
  });

  const cases: Array<[string, (c: Record<string, any>) => void, string[]]> = [
    ['bad distribution id', (c) => (c.id = 'has space'), ['$.id']],
    ['alias with scheme', (c) => (c.aliases = ['http://a.com']), ['$.aliases[0]']],
    ['duplicate alias (case-insensitive)', (c) => (c.aliases = ['A.com', 'a.com']), ['$.aliases[1]']],
    ['enabled not boolean', (c) => (c.enabled = 'yes'), ['$.enabled']],
    [
      'no origins',
      (c) => (c.origins = []),
      ['$.origins', '$.cacheBehaviors[0].targetOriginId', '$.defaultCacheBehavior.targetOriginId'].sort(),
    ],
    [
      'too many origins',
      (c) => (c.origins = Array.from({ length: 101 }, (_, i) => ({ id: `o${i}`, domainName: 'a' }))),
      ['$.cacheBehaviors[0].targetOriginId', '$.defaultCacheBehavior.targetOriginId', '$.origins'],
    ],
    ['duplicate origin id', (c) => c.origins.push({ id: 'app', domainName: 'b' }), ['$.origins[1]']],
    ['origin without domainName or bucket', (c) => delete c.origins[0].domainName, ['$.origins[0].domainName']],
    [
      'bucket origin with custom fields',
      (c) => (c.origins[0].bucket = { path: './site' }),
      ['$.origins[0].domainName', '$.origins[0].port', '$.origins[0].protocol'],
    ],
    [
      'timeouts out of range',
      (c) =>
        Object.assign(c.origins[0], {
          connectionAttempts: 0,
          connectionTimeout: 11,
          readTimeout: 121,
          keepaliveTimeout: 0,
        }),
      [
        '$.origins[0].connectionAttempts',
        '$.origins[0].connectionTimeout',
        '$.origins[0].keepaliveTimeout',
        '$.origins[0].readTimeout',
      ],
    ],
    ['originPath with trailing slash', (c) => (c.origins[0].originPath = '/v1/'), ['$.origins[0].originPath']],
    [
      'disallowed origin header',
      (c) => (c.origins[0].customHeaders = { 'X-Amz-Cf-Id': 'x', 'X-Forwarded-Proto': 'https', 'X-Ok': 'y' }),
      ['$.origins[0].customHeaders["X-Amz-Cf-Id"]', '$.origins[0].customHeaders["X-Forwarded-Proto"]'],
    ],
    [
      'too many origin headers',
      (c) => (c.origins[0].customHeaders = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`X-H${i}`, 'v']))),
      ['$.origins[0].customHeaders'],
    ],
    [
      'group with unknown member and bad status',
      (c) => (c.originGroups = [{ id: 'g', members: ['app', 'zz'], failoverCriteria: { statusCodes: [501] } }]),
      ['$.originGroups[0].failoverCriteria.statusCodes[0]', '$.originGroups[0].members[1]'],
    ],
    [
      'group id clashes with origin id',
      (c) => {
        c.origins.push({ id: 'b', domainName: 'b' });
        c.originGroups = [{ id: 'app', members: ['app', 'b'], failoverCriteria: { statusCodes: [500] } }];
      },
      ['$.originGroups[0].id'],
    ],
    [
      'too many groups',
      (c) => {
        c.origins.push({ id: 'b', domainName: 'b' });
        c.originGroups = Array.from({ length: 11 }, (_, i) => ({
          id: `g${i}`,
          members: ['app', 'b'],
          failoverCriteria: { statusCodes: [500] },
        }));
      },
      ['$.originGroups'],
    ],
    ['unknown target', (c) => (c.cacheBehaviors[0].targetOriginId = 'nope'), ['$.cacheBehaviors[0].targetOriginId']],
    [
      'pathPattern on the default',
      (c) => (c.defaultCacheBehavior.pathPattern = '*'),
      ['$.defaultCacheBehavior.pathPattern'],
    ],
    ['missing pathPattern', (c) => delete c.cacheBehaviors[0].pathPattern, ['$.cacheBehaviors[0].pathPattern']],
    [
      'pathPattern too long',
      (c) => (c.cacheBehaviors[0].pathPattern = '/' + 'a'.repeat(255)),
      ['$.cacheBehaviors[0].pathPattern'],
    ],
    [
      'duplicate pathPattern (leading slash optional)',
      (c) => c.cacheBehaviors.push({ pathPattern: 'api/*', targetOriginId: 'app' }),
      ['$.cacheBehaviors[1]'],
    ],
    [
      'too many behaviors',
      (c) =>
        (c.cacheBehaviors = Array.from({ length: 76 }, (_, i) => ({ pathPattern: `/p${i}`, targetOriginId: 'app' }))),
      ['$.cacheBehaviors'],
    ],
    [
      'allowedMethods not a CloudFront set',
      (c) => (c.cacheBehaviors[0].allowedMethods = ['GET', 'POST']),
      ['$.cacheBehaviors[0].allowedMethods'],
    ],
    [
      'cached OPTIONS without allowed OPTIONS',
      (c) => (c.defaultCacheBehavior.cachedMethods = ['GET', 'HEAD', 'OPTIONS']),
      ['$.defaultCacheBehavior.cachedMethods'],
    ],
    [
      'unknown managed policies',
      (c) =>
        Object.assign(c.defaultCacheBehavior, {
          cachePolicy: 'Nope',
          originRequestPolicy: 'Nope',
          responseHeadersPolicy: 'Nope',
        }),
      [
        '$.defaultCacheBehavior.cachePolicy',
        '$.defaultCacheBehavior.originRequestPolicy',
        '$.defaultCacheBehavior.responseHeadersPolicy',
      ],
    ],
    [
      'inline cache policy TTL order',
      (c) => (c.defaultCacheBehavior.cachePolicy = { minTTL: 10, defaultTTL: 5, maxTTL: 100 }),
      ['$.defaultCacheBehavior.cachePolicy.defaultTTL'],
    ],
    [
      'inline cache policy keyed with maxTTL 0',
      (c) => (c.defaultCacheBehavior.cachePolicy = { minTTL: 0, defaultTTL: 0, maxTTL: 0, queryStrings: 'all' }),
      ['$.defaultCacheBehavior.cachePolicy'],
    ],
    [
      'inline cache policy with 11 headers',
      (c) =>
        (c.defaultCacheBehavior.cachePolicy = {
          minTTL: 0,
          defaultTTL: 1,
          maxTTL: 2,
          headers: Array.from({ length: 11 }, (_, i) => `h${i}`),
        }),
      ['$.defaultCacheBehavior.cachePolicy.headers'],
    ],
    [
      'inline cache policy bad list shape',
      (c) =>
        (c.defaultCacheBehavior.cachePolicy = {
          minTTL: 0,
          defaultTTL: 1,
          maxTTL: 2,
          cookies: { whitelistt: ['a'] },
          queryStrings: 'some',
        }),
      ['$.defaultCacheBehavior.cachePolicy.cookies.whitelistt', '$.defaultCacheBehavior.cachePolicy.queryStrings'],
    ],
    [
      'inline origin request policy bad headers',
      (c) => (c.defaultCacheBehavior.originRequestPolicy = { headers: 'all' }),
      ['$.defaultCacheBehavior.originRequestPolicy.headers'],
    ],
    [
      'response headers policy problems',
      (c) =>
        (c.defaultCacheBehavior.responseHeadersPolicy = {
          removeHeaders: ['Content-Length', 'X-Powered-By'],
          customHeaders: [{ header: 'bad header', value: 'v', override: true }],
          securityHeaders: { frameOptions: { value: 'ALLOW', override: true } },
          serverTiming: { enabled: true, samplingRate: 101 },
        }),
      [
        '$.defaultCacheBehavior.responseHeadersPolicy.customHeaders[0].header',
        '$.defaultCacheBehavior.responseHeadersPolicy.removeHeaders[0]',
        '$.defaultCacheBehavior.responseHeadersPolicy.securityHeaders.frameOptions.value',
        '$.defaultCacheBehavior.responseHeadersPolicy.serverTiming.samplingRate',
      ],
    ],
    [
      'custom error responses',
      (c) =>
        (c.customErrorResponses = [
          { errorCode: 418 },
          { errorCode: 404, responseCode: 302, responsePagePath: 'x.html' },
          { errorCode: 500, responseCode: 200 },
          { errorCode: 404 },
        ]),
      [
        '$.customErrorResponses[0].errorCode',
        '$.customErrorResponses[1].responseCode',
        '$.customErrorResponses[1].responsePagePath',
        '$.customErrorResponses[2].responseCode',
        '$.customErrorResponses[3]',
      ],
    ],
  ];
  for (const [name, edit, expected] of cases) {
    test(name, () => assert.deepEqual(pathsOf(edit), [...expected].sort()));
  }

  test('valid inline policies, a bucket origin and an origin group pass', () => {
    const paths = pathsOf((c) => {
      c.origins.push(
        { id: 'site', bucket: { path: './site' }, originPath: '/v1' },
        { id: 'b', domainName: 'backup.example.com', protocol: 'https' },
      );
      c.originGroups = [{ id: 'g', members: ['app', 'b'], failoverCriteria: { statusCodes: [500, 502, 503, 504] } }];
      c.cacheBehaviors.push({
        pathPattern: 'static/*.css',
        targetOriginId: 'g',
        cachedMethods: ['GET', 'HEAD'],
        cachePolicy: {
          name: 'mine',
          minTTL: 0,
          defaultTTL: 60,
          maxTTL: 3600,
          headers: ['X-Tenant'],
          cookies: { allExcept: ['session'] },
          queryStrings: { whitelist: ['v'] },
          enableAcceptEncodingGzip: true,
        },
        originRequestPolicy: {
          headers: { allViewerAndCloudFront: ['CloudFront-Viewer-Country'] },
          cookies: 'all',
          queryStrings: 'none',
        },
        responseHeadersPolicy: {
          cors: {
            allowOrigins: ['https://a.example'],
            allowHeaders: ['*'],
            allowMethods: ['ALL'],
            allowCredentials: true,
            maxAgeSec: 600,
          },
          securityHeaders: {
            strictTransportSecurity: { maxAgeSec: 63072000, includeSubdomains: true, preload: true, override: true },
          },
          customHeaders: [{ header: 'X-Served-By', value: 'verge', override: false }],
          removeHeaders: ['X-Powered-By'],
          serverTiming: { enabled: true, samplingRate: 12.5 },
        },
      });
      c.customErrorResponses = [
        { errorCode: 404, responsePagePath: '/404.html', responseCode: 404, errorCachingMinTTL: 30 },
      ];
    });
    assert.deepEqual(paths, []);
  });
});

describe('function association rules', () => {
  const fa =
    (...list: unknown[]) =>
    (c: Record<string, any>) =>
      (c.defaultCacheBehavior.functionAssociations = list);

  test('string and object forms are accepted', () => {
    assert.deepEqual(
      pathsOf(
        fa(
          { eventType: 'viewer-request', function: './auth.js', includeBody: true },
          {
            eventType: 'origin-request',
            function: {
              path: './fn',
              handler: 'index.handler',
              env: { A: '1' },
              secretNames: ['A'],
              profile: 'relaxed',
              timeoutMs: 1000,
              memoryMB: 256,
            },
          },
          { eventType: 'origin-response', function: './resp.py' },
        ),
      ),
      [],
    );
  });

  test('includeBody only on viewer-request and origin-request, with the CloudFront text', () => {
    const ps = problemsOf(fa({ eventType: 'origin-response', function: './a.js', includeBody: true }));
    assert.deepEqual(ps, [
      { path: '$.defaultCacheBehavior.functionAssociations[0].includeBody', message: INCLUDE_BODY_MESSAGE },
    ]);
    assert.equal(
      INCLUDE_BODY_MESSAGE,
      'The IncludeBody option can only be used with viewer-request or origin-request events.',
    );
  });

  test('one association per event type', () => {
    assert.deepEqual(
      pathsOf(
        fa({ eventType: 'origin-request', function: './a.js' }, { eventType: 'origin-request', function: './b.js' }),
      ),
      ['$.defaultCacheBehavior.functionAssociations[1].eventType'],
    );
  });

  test('CloudFront Functions only on viewer events', () => {
    assert.deepEqual(
      pathsOf(fa({ eventType: 'origin-request', function: { path: './cf.js', runtime: 'cloudfront-js-2.0' } })),
      ['$.defaultCacheBehavior.functionAssociations[0].eventType'],
    );
  });

  test('CloudFront Functions and Lambda@Edge cannot be mixed on viewer events, but may be across viewer/origin', () => {
    const cff = { path: './cf.js', runtime: 'cloudfront-js-2.0' };
    assert.deepEqual(
      pathsOf(
        fa({ eventType: 'viewer-request', function: cff }, { eventType: 'viewer-response', function: './le.js' }),
      ),
      ['$.defaultCacheBehavior.functionAssociations[1]'],
    );
    assert.deepEqual(
      pathsOf(fa({ eventType: 'viewer-request', function: cff }, { eventType: 'origin-request', function: './le.js' })),
      [],
    );
  });

  test('runtime must fit the file; kvs needs js-2.0; unknown event and runtime; secretNames must be env keys', () => {
    assert.deepEqual(
      pathsOf(
        fa(
          { eventType: 'viewer-request', function: { path: './a.py', runtime: 'nodejs' } },
          { eventType: 'origin-request', function: { path: './b.js', kvs: { id: 'store' } } },
          { eventType: 'origin-response', function: { path: './c.js', runtime: 'deno' } },
          { eventType: 'viewer-response', function: { path: './d.js', env: { A: 'x' }, secretNames: ['B'] } },
        ),
      ),
      [
        '$.defaultCacheBehavior.functionAssociations[0].runtime',
        '$.defaultCacheBehavior.functionAssociations[1].function.kvs',
        '$.defaultCacheBehavior.functionAssociations[2].function.runtime',
        '$.defaultCacheBehavior.functionAssociations[3].function.secretNames[0]',
      ]
        .map((p) => p.replace('[0].runtime', '[0].function.runtime'))
        .sort(),
    );
    assert.deepEqual(pathsOf(fa({ eventType: 'viewer-requests', function: './a.js' })), [
      '$.defaultCacheBehavior.functionAssociations[0].eventType',
    ]);
  });

  test('AWS runtime identifiers are accepted; others are refused with the list', () => {
    assert.deepEqual(
      pathsOf(
        fa(
          { eventType: 'viewer-request', function: { path: './a.js', runtime: 'nodejs18.x' } },
          { eventType: 'origin-request', function: { path: './b.py', runtime: 'python3.13' } },
          { eventType: 'origin-response', function: { path: './c.js', runtime: 'nodejs22.x' } },
        ),
      ),
      [],
    );
    const c = example();
    c.defaultCacheBehavior.functionAssociations = [
      { eventType: 'viewer-request', function: { path: './a.js', runtime: 'nodejs16.x' } },
    ];
    const r = validateDistribution(c);
    assert.ok(!r.ok);
    assert.match(r.problems[0]!.message, /must be one of .*"nodejs20\.x".*"python3\.9".* \(got "nodejs16\.x"\)/);
    assert.deepEqual(
      pathsOf(fa({ eventType: 'viewer-request', function: { path: './a.py', runtime: 'nodejs20.x' } })),
      ['$.defaultCacheBehavior.functionAssociations[0].function.runtime'],
      'the mapped runtime must still fit the file',
    );
  });

  test('egress.allow: each entry is a host, an address or a CIDR block with an optional port', () => {
    const ok = { path: './a.js', egress: { allow: ['origin.internal:8443', '10.0.0.0/8', '[fd00::1]:443'] } };
    assert.deepEqual(pathsOf(fa({ eventType: 'viewer-request', function: ok })), []);
    const bad = { path: './a.js', egress: { allow: ['ok.example', '10.0.0.1/8', 'x:0'], deny: [] } };
    assert.deepEqual(pathsOf(fa({ eventType: 'viewer-request', function: bad })), [
      '$.defaultCacheBehavior.functionAssociations[0].function.egress.allow[1]',
      '$.defaultCacheBehavior.functionAssociations[0].function.egress.allow[2]',
      '$.defaultCacheBehavior.functionAssociations[0].function.egress.deny',
    ]);
  });
});
