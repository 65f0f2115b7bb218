/**
 * Origin access control (issue 13): an origin with `originAccessControl` signs its origin
 * requests with SigV4 and a private S3-compatible bucket (s3rver, in-process, which checks the
 * signature itself) serves them; the same bucket refuses the requests of an origin without OAC,
 * of one whose signing behavior is `never`, and of one signing with the wrong secret. Signing
 * holds behind an origin group (failover from a 503 origin and from the bucket's own 403), and
 * `no-override` forwards a viewer's Authorization as it came. The keys come from the edge's
 * environment (VERGE_OAC_<NAME>_*), never from the config; a missing set is a config error
 * naming the variables.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileDistribution } from '../../src/edge/config/compile.js';
import type { DistributionConfig } from '../../src/shared/config/types.js';
import { validateDistribution } from '../../src/shared/config/validate.js';
import { startTestEdge, type TestEdge } from '../harness/edge.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { S3RVER_KEYS, putObject, startS3, type TestS3 } from '../harness/s3.js';

const PREFIXES = ['always', 'never', 'nooverride', 'wrong', 'plain', 'failover', 'group403'];
const ENV = {
  VERGE_OAC_MEDIA_ACCESS_KEY_ID: S3RVER_KEYS.accessKeyId,
  VERGE_OAC_MEDIA_SECRET_ACCESS_KEY: S3RVER_KEYS.secretAccessKey,
  VERGE_OAC_WRONG_ACCESS_KEY_ID: S3RVER_KEYS.accessKeyId,
  VERGE_OAC_WRONG_SECRET_ACCESS_KEY: 'not-the-secret',
};

function bucketOrigin(id: string, port: number, signingBehavior?: string, credentials = 'media'): object {
  return {
    id,
    domainName: '127.0.0.1',
    port,
    protocol: 'http',
    originPath: '/media',
    connectionAttempts: 1,
    ...(signingBehavior ? { originAccessControl: { signingBehavior, region: 'us-east-1', credentials } } : {}),
  };
}

describe('origin access control signs origin requests to a private S3-compatible bucket', () => {
  let s3: TestS3;
  let down: ScriptedOrigin;
  let edge: TestEdge;
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    s3 = await startS3(['media']);
    down = await startOrigin({ '/failover/a.txt': { status: 503, body: 'down' } });
    for (const p of PREFIXES) await putObject(s3.port, 'media', `${p}/a.txt`, `object ${p}`);
    for (const [k, v] of Object.entries(ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const behavior = (pathPattern: string, targetOriginId: string, extra: object = {}) => ({
      pathPattern,
      targetOriginId,
      cachePolicy: 'CachingDisabled',
      originRequestPolicy: 'AllViewerExceptHostHeader',
      ...extra,
    });
    edge = await startTestEdge({
      configs: [
        {
          id: 'oac',
          aliases: ['oac.local'],
          origins: [
            bucketOrigin('s3-always', s3.port, 'always'),
            bucketOrigin('s3-never', s3.port, 'never'),
            bucketOrigin('s3-nooverride', s3.port, 'no-override'),
            bucketOrigin('s3-wrong', s3.port, 'always', 'wrong'),
            bucketOrigin('s3-plain', s3.port),
            { id: 'down', domainName: '127.0.0.1', port: down.port, protocol: 'http', connectionAttempts: 1 },
          ],
          originGroups: [
            { id: 'g-down', members: ['down', 's3-always'], failoverCriteria: { statusCodes: [503] } },
            { id: 'g-403', members: ['s3-plain', 's3-always'], failoverCriteria: { statusCodes: [403] } },
          ],
          cacheBehaviors: [
            behavior('/never/*', 's3-never'),
            behavior('/nooverride/*', 's3-nooverride', {
              // Authorization reaches the origin only from the cache policy (CloudFront's rule).
              cachePolicy: { name: 'auth', minTTL: 0, defaultTTL: 0, maxTTL: 1, headers: ['Authorization'] },
            }),
            behavior('/wrong/*', 's3-wrong'),
            behavior('/plain/*', 's3-plain'),
            behavior('/failover/*', 'g-down'),
            behavior('/group403/*', 'g-403'),
          ],
          defaultCacheBehavior: {
            targetOriginId: 's3-always',
            cachePolicy: 'CachingDisabled',
            originRequestPolicy: 'AllViewerExceptHostHeader',
          },
        },
      ],
    });
  });

  after(async () => {
    await edge?.close();
    await down?.close();
    await s3?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const lastAuth = () => s3.requests[s3.requests.length - 1]!.authorization;

  test('always: signed with the credential set, read from the private bucket; a query string is signed too', async () => {
    const r = await edge.get('/always/a.txt');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, 'object always');
    assert.match(
      lastAuth() ?? '',
      /^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    const q = await edge.get('/always/a.txt?b=2&a=1');
    assert.equal(q.status, 200, q.text);
  });

  test("always: a viewer's own Authorization is replaced by the edge's signature", async () => {
    const r = await edge.get('/always/a.txt', { headers: { authorization: 'Bearer viewer-token' } });
    assert.equal(r.status, 200, r.text);
    assert.match(lastAuth() ?? '', /^AWS4-HMAC-SHA256 Credential=S3RVER\//);
  });

  test('the bucket refuses what is not signed: no OAC, and signing behavior never', async () => {
    for (const p of ['/plain/a.txt', '/never/a.txt']) {
      const r = await edge.get(p);
      assert.equal(r.status, 403, `${p}: ${r.text}`);
      assert.match(r.text, /AccessDenied/);
      assert.equal(lastAuth(), undefined, p);
    }
  });

  test("the bucket checks the signature: the wrong secret is refused by s3rver's own check", async () => {
    const r = await edge.get('/wrong/a.txt');
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, /SignatureDoesNotMatch/);
  });

  test('behind an origin group: failover from a 503 origin to the signed bucket', async () => {
    const before = down.count('/failover/a.txt');
    const r = await edge.get('/failover/a.txt');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, 'object failover');
    assert.equal(down.count('/failover/a.txt'), before + 1, 'the primary was tried first');
    assert.match(lastAuth() ?? '', /^AWS4-HMAC-SHA256 /);
  });

  test("behind an origin group: the unsigned member's 403 fails over to the signed one", async () => {
    const from = s3.requests.length;
    const r = await edge.get('/group403/a.txt');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, 'object group403');
    const seen = s3.requests.slice(from).map((x) => (x.authorization ? 'signed' : 'unsigned'));
    assert.deepEqual(seen, ['unsigned', 'signed']);
  });

  test("no-override: signed when the viewer sends no Authorization, the viewer's sent as it came otherwise", async () => {
    const r = await edge.get('/nooverride/a.txt');
    assert.equal(r.status, 200, r.text);
    assert.match(lastAuth() ?? '', /^AWS4-HMAC-SHA256 Credential=S3RVER\//);
    const viewer =
      'AWS4-HMAC-SHA256 Credential=S3RVER/20261207/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00';
    const v = await edge.get('/nooverride/a.txt', {
      headers: { authorization: viewer, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-date': '20261207T000000Z' },
    });
    assert.equal(lastAuth(), viewer);
    assert.equal(v.status, 403, v.text);
  });
});

describe('origin access control keys', () => {
  const config = (credentials: string): DistributionConfig =>
    ({
      id: 'keys',
      origins: [
        {
          id: 's3',
          domainName: 'bucket.example.net',
          originAccessControl: { signingBehavior: 'always', region: 'eu-west-1', credentials },
        },
      ],
      defaultCacheBehavior: { targetOriginId: 's3' },
    }) as DistributionConfig;

  test('the config names what is wrong: an AWS service origin type, a directory bucket, a credential set name', () => {
    const bad = (ac: Record<string, unknown>, extra: Record<string, unknown> = { domainName: 'b.example.net' }) =>
      validateDistribution({
        id: 'v',
        origins: [{ id: 's3', ...extra, originAccessControl: { signingBehavior: 'always', region: 'us-east-1', credentials: 'media', ...ac } }], // prettier-ignore
        defaultCacheBehavior: { targetOriginId: 's3' },
      });
    const problems = (r: ReturnType<typeof validateDistribution>) => (r.ok ? [] : r.problems.map((x) => `${x.path}: ${x.message}`)); // prettier-ignore
    assert.deepEqual(problems(bad({})), []);
    assert.match(problems(bad({ originType: 'mediastore' })).join('\n'), /originType: mediastore origins are AWS services Verge does not sign for/); // prettier-ignore
    assert.match(problems(bad({}, { bucket: { path: 'b' } })).join('\n'), /originAccessControl: applies to an S3-compatible origin given by domainName/); // prettier-ignore
    assert.match(
      problems(bad({ credentials: 'my keys!' })).join('\n'),
      /credentials: "my keys!" is not valid: must name a credential set/,
    );
    assert.match(problems(bad({ signingBehavior: 'sometimes' })).join('\n'), /signingBehavior/);
  });

  test('a missing credential set is a config error naming the variables to set', () => {
    assert.throws(
      () => compileDistribution(config('nowhere'), '/tmp', { keys: () => undefined, where: 'the edge process' }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.match(e.message, /\$\.origins\[0\]\.originAccessControl\.credentials/);
        assert.match(e.message, /set VERGE_OAC_NOWHERE_ACCESS_KEY_ID and VERGE_OAC_NOWHERE_SECRET_ACCESS_KEY/);
        return true;
      },
    );
  });

  test('the compiled plan never serialises the secret', () => {
    const keys = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'very-secret-value' };
    const plan = compileDistribution(config('media'), '/tmp', { keys: () => keys, where: 'test' });
    const origin = plan.origins.get('s3')!;
    assert.equal(origin.accessControl?.keys.secretAccessKey, 'very-secret-value');
    assert.doesNotMatch(JSON.stringify([...plan.origins.values()]), /very-secret-value/);
  });
});
