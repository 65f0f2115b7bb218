/**
 * `verge import cloudfront` on a realistic distribution (examples/import-cloudfront: four
 * origins, an origin group, four behaviors, managed and custom cache / origin request /
 * response headers policies, legacy ForwardedValues, Lambda@Edge and CloudFront Functions
 * associations, settings with no Verge equivalent): the real CLI writes a config that the edge's
 * loader accepts (every function file found, the plan compiles), maps each part as checked
 * below, and lists on stderr exactly what it could not map.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFiles } from '../edge/config/load.js';
import type { DistributionConfig, FunctionConfig } from '../shared/config/types.js';
import { importCloudFront } from './import-cloudfront.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'import-cloudfront');
const BIN = join(ROOT, 'bin', 'verge.js');

describe('verge import cloudfront', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-import-'));
  const out = join(dir, 'shop.json');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = spawnSync(
    process.execPath,
    ['--no-node-snapshot', BIN, 'import', 'cloudfront', '--config', join(EXAMPLE, 'distribution-config.json'),
      '--functions', join(EXAMPLE, 'functions'), '--policies', join(EXAMPLE, 'policies'), '--id', 'shop', '--out', out], // prettier-ignore
    { encoding: 'utf8', env: { ...process.env, VERGE_FROM_SOURCE: '1' }, timeout: 60_000 },
  );
  const config = () => JSON.parse(readFileSync(out, 'utf8')) as DistributionConfig;
  const fnPath = (f: string | FunctionConfig) => resolve(dirname(out), typeof f === 'string' ? f : f.path);

  test('writes a config the edge loads and compiles', async () => {
    assert.equal(run.status, 0, run.stderr);
    const { plan } = await loadConfigFiles([out]);
    assert.deepEqual(
      plan.distributions.map((d) => d.id),
      ['shop'],
    );
  });

  test('distribution, origins and the origin group', () => {
    const c = config();
    assert.equal(c.id, 'shop');
    assert.deepEqual(c.aliases, ['www.example.com', 'example.com']);
    assert.equal(c.defaultRootObject, 'index.html');
    assert.deepEqual(c.restrictions, { geoRestriction: { restrictionType: 'blocklist', locations: ['KP', 'IR'] } });
    const o = Object.fromEntries(c.origins.map((x) => [x.id, x]));
    assert.deepEqual(o.app, {
      id: 'app',
      domainName: 'app.example.com',
      customHeaders: { 'X-Origin-Verify': 's3cr3t' },
      connectionAttempts: 3,
      connectionTimeout: 10,
      protocol: 'https',
      readTimeout: 30,
      keepaliveTimeout: 5,
    });
    assert.equal(o['app-backup']!.protocol, 'http');
    assert.equal(o['app-backup']!.port, 8080);
    assert.equal(o['app-backup']!.originPath, '/shop');
    assert.equal(o.assets!.protocol, 'https');
    assert.equal(o.api!.port, 8443);
    assert.deepEqual(c.originGroups, [
      { id: 'app-failover', members: ['app', 'app-backup'], failoverCriteria: { statusCodes: [500, 502, 503, 504] } },
    ]);
    assert.deepEqual(c.customErrorResponses, [
      { errorCode: 404, responsePagePath: '/errors/404.html', responseCode: 404, errorCachingMinTTL: 60 },
      { errorCode: 503, errorCachingMinTTL: 10 },
    ]);
  });

  test('managed policies by name; the default behavior keeps its CloudFront Function and Lambda@Edge', () => {
    const d = config().defaultCacheBehavior;
    assert.equal(d.targetOriginId, 'app-failover');
    assert.equal(d.viewerProtocolPolicy, 'redirect-to-https');
    assert.equal(d.cachePolicy, 'CachingOptimized');
    assert.equal(d.originRequestPolicy, 'AllViewerExceptHostHeader');
    assert.equal(d.responseHeadersPolicy, 'SecurityHeadersPolicy');
    const [lae, cff] = d.functionAssociations!;
    assert.equal(lae!.eventType, 'origin-response');
    assert.equal(fnPath(lae!.function), join(EXAMPLE, 'functions', 'security-headers.mjs'));
    assert.deepEqual({ ...(lae!.function as FunctionConfig), path: '' }, { path: '', name: 'security-headers', version: '4' }); // prettier-ignore
    assert.equal(cff!.eventType, 'viewer-request');
    assert.equal(fnPath(cff!.function), join(EXAMPLE, 'functions', 'url-rewrite.js'));
    assert.equal((cff!.function as FunctionConfig).runtime, 'cloudfront-js-2.0');
  });

  test('custom policies from --policies, legacy ForwardedValues as an inline cache policy', () => {
    const [stat, api, legacy, images] = config().cacheBehaviors!;
    assert.equal(stat!.pathPattern, '/static/*');
    assert.deepEqual(stat!.cachePolicy, {
      name: 'shop-static-assets',
      minTTL: 3600,
      defaultTTL: 604800,
      maxTTL: 31536000,
      cookies: 'none',
      queryStrings: { whitelist: ['v'] },
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    assert.equal(api!.cachePolicy, 'CachingDisabled');
    assert.deepEqual(api!.originRequestPolicy, {
      name: 'shop-api',
      headers: { allViewerAndCloudFront: ['CloudFront-Viewer-Country'] },
      cookies: 'all',
      queryStrings: 'all',
    });
    assert.deepEqual(api!.responseHeadersPolicy, {
      name: 'shop-api-cors',
      cors: {
        allowOrigins: ['https://www.example.com'],
        allowHeaders: ['Authorization', 'Content-Type'],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
        allowCredentials: true,
        originOverride: true,
        exposeHeaders: ['X-Request-Id'],
        maxAgeSec: 600,
      },
      customHeaders: [{ header: 'Cache-Control', value: 'no-store', override: true }],
      removeHeaders: ['X-Powered-By'],
    });
    assert.deepEqual(api!.allowedMethods, ['HEAD', 'DELETE', 'POST', 'GET', 'OPTIONS', 'PUT', 'PATCH']);
    const auth = api!.functionAssociations![0]!;
    assert.equal(auth.eventType, 'viewer-request');
    assert.equal(auth.includeBody, true);
    assert.equal(fnPath(auth.function), join(EXAMPLE, 'functions', 'auth'));
    assert.deepEqual(
      { ...(auth.function as FunctionConfig), path: '' },
      { path: '', name: 'auth', version: '7', runtime: 'nodejs', handler: 'index.handler' },
    );
    assert.deepEqual(legacy!.cachePolicy, {
      minTTL: 0,
      defaultTTL: 300,
      maxTTL: 3600,
      headers: ['Accept-Language'],
      cookies: { whitelist: ['session'] },
      queryStrings: { whitelist: ['page', 'lang'] },
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    assert.equal(legacy!.functionAssociations, undefined, 'legacy-router has no package: not associated');
    assert.equal(images!.cachePolicy, undefined, 'its custom policy was not given');
  });

  test('stderr lists exactly what was not mapped, by JSON path', () => {
    const paths = run.stderr
      .split('\n')
      .filter((l) => l.startsWith('  $.'))
      .map((l) => l.trim().split(': ')[0]);
    const B = '$.DistributionConfig';
    assert.deepEqual(paths, [
      `${B}.Origins.Items[2].S3OriginConfig.OriginAccessIdentity`,
      `${B}.Origins.Items[3].CustomOriginConfig.OriginProtocolPolicy`,
      `${B}.Origins.Items[3].OriginShield`,
      `${B}.CacheBehaviors.Items[2].LambdaFunctionAssociations.Items[0].LambdaFunctionARN`,
      `${B}.CacheBehaviors.Items[3].CachePolicyId`,
      `${B}.Logging`,
      `${B}.ViewerCertificate`,
      `${B}.WebACLId`,
      `${B}.PriceClass`,
    ]);
    assert.match(run.stderr, /^not mapped \(9\):/);
    assert.match(run.stderr, /no package for legacy-router in --functions: `aws lambda get-function --function-name arn:aws:lambda:us-east-1:123456789012:function:legacy-router:2/); // prettier-ignore
    assert.match(run.stderr, /aws cloudfront get-cache-policy --id e1d2c3b4-a5f6-4e7d-8c9b-0a1b2c3d4e5f/);
  });
});

describe('importCloudFront corners', () => {
  const base = (behavior: Record<string, unknown>) => ({
    DistributionConfig: {
      Origins: { Quantity: 1, Items: [{ Id: 'o', DomainName: 'o.example', CustomOriginConfig: { OriginProtocolPolicy: 'https-only', HTTPSPort: 443 } }] }, // prettier-ignore
      DefaultCacheBehavior: { TargetOriginId: 'o', ...behavior },
    },
  });

  test('ForwardedValues forwarding every header: CachingDisabled + AllViewer, and said so', () => {
    const r = importCloudFront(
      base({ ForwardedValues: { QueryString: false, Headers: { Quantity: 1, Items: ['*'] } } }),
      { id: 'x' },
    );
    assert.equal(r.config.defaultCacheBehavior.cachePolicy, 'CachingDisabled');
    assert.equal(r.config.defaultCacheBehavior.originRequestPolicy, 'AllViewer');
    assert.deepEqual(
      r.unmapped.map((u) => u.path),
      ['$.DistributionConfig.DefaultCacheBehavior.ForwardedValues.Headers'],
    );
  });

  test('an S3 origin with an origin access control becomes originAccessControl, keys named for the control plane', () => {
    const r = importCloudFront(
      {
        DistributionConfig: {
          Origins: { Quantity: 1, Items: [{ Id: 'media.s3', DomainName: 'media.s3.eu-west-1.amazonaws.com', S3OriginConfig: { OriginAccessIdentity: '' }, OriginAccessControlId: 'E2OAC' }] }, // prettier-ignore
          DefaultCacheBehavior: { TargetOriginId: 'media.s3' },
        },
      },
      { id: 'x' },
    );
    assert.deepEqual(r.config.origins[0]!.originAccessControl, {
      signingBehavior: 'always',
      region: 'eu-west-1',
      credentials: 'media-s3',
    });
    assert.equal(r.unmapped[0]!.path, '$.DistributionConfig.Origins.Items[0].OriginAccessControlId');
    assert.match(
      r.unmapped[0]!.message,
      /set VERGE_OAC_MEDIA_S3_ACCESS_KEY_ID and VERGE_OAC_MEDIA_S3_SECRET_ACCESS_KEY/,
    );
  });

  test('a malformed ARN and an input that is not a distribution are named', () => {
    const r = importCloudFront(
      base({ FunctionAssociations: { Quantity: 1, Items: [{ FunctionARN: 'url-rewrite', EventType: 'viewer-request' }] } }), // prettier-ignore
      { id: 'x' },
    );
    assert.match(r.unmapped[0]!.message, /not a CloudFront Functions ARN: "url-rewrite"/);
    assert.throws(() => importCloudFront({ Distributions: [] }, { id: 'x' }), /get-distribution-config/);
  });
});
