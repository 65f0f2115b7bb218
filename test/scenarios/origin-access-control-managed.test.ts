/**
 * Origin access control through the control plane (issue 13): the credential set named by
 * `originAccessControl.credentials` comes from the control plane's environment; the snapshot
 * carries its keys to the PoPs sealed at rest, `***` to an admin token and in clear to an edge
 * token; a PoP started without any VERGE_OAC_* variable signs with them and reads the private
 * bucket (s3rver, which checks the signature). A distribution naming a set the control plane
 * lacks, or carrying keys itself, is refused with the field and the variables to set.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet, type Fleet } from '../harness/pops.js';
import { until } from '../harness/replication.js';
import { S3RVER_KEYS, putObject, startS3, type TestS3 } from '../harness/s3.js';

const ENV = {
  VERGE_OAC_MEDIA_ACCESS_KEY_ID: S3RVER_KEYS.accessKeyId,
  VERGE_OAC_MEDIA_SECRET_ACCESS_KEY: S3RVER_KEYS.secretAccessKey,
};

describe('origin access control keys from the control plane', () => {
  let fleet: Fleet;
  let s3: TestS3;
  const api = (method: string, path: string, body?: unknown, o?: { token?: string }) =>
    fleet.t.api(method, path, body, o);
  const config = (extra: Record<string, unknown> = {}) => ({
    id: 'media',
    aliases: ['media.test'],
    origins: [
      {
        id: 'bucket',
        domainName: '127.0.0.1',
        port: s3.port,
        protocol: 'http',
        originPath: '/media',
        connectionAttempts: 1,
        originAccessControl: { signingBehavior: 'always', region: 'us-east-1', credentials: 'media', ...extra },
      },
    ],
    defaultCacheBehavior: { targetOriginId: 'bucket', cachePolicy: 'CachingDisabled' },
  });

  before(async () => {
    for (const k of Object.keys(ENV)) delete process.env[k];
    s3 = await startS3(['media']);
    await putObject(s3.port, 'media', 'index.html', 'private page');
    fleet = await startFleet({ pops: [] });
  });
  after(async () => {
    for (const k of Object.keys(ENV)) delete process.env[k];
    await fleet?.close();
    await s3?.close();
  });

  test('a credential set the control plane does not have is refused with the variables to set', async () => {
    const r = await api('POST', '/distributions', config());
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /\$\.origins\[0\]\.originAccessControl\.credentials/);
    assert.match(r.text, /set VERGE_OAC_MEDIA_ACCESS_KEY_ID and VERGE_OAC_MEDIA_SECRET_ACCESS_KEY/);
    assert.equal((await api('GET', '/distributions/media')).status, 404);
  });

  test('keys in the distribution itself are refused', async () => {
    const r = await api('POST', '/distributions', config({ keys: S3RVER_KEYS }));
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /\$\.origins\[0\]\.originAccessControl\.keys/);
    assert.match(r.text, /never stored in a distribution/);
  });

  test('the snapshot carries the keys sealed; a PoP without them in its environment signs with them', async () => {
    Object.assign(process.env, ENV);
    const c = await api('POST', '/distributions', config());
    assert.equal(c.status, 201, c.text);
    // The PoP is started without the variables: what it signs with came in the snapshot.
    for (const k of Object.keys(ENV)) delete process.env[k];
    assert.doesNotMatch(JSON.stringify(c.body), /S3RVER/);
    const version = (await api('GET', '/deployments')).body.items[0].version as number;
    const admin = await api('GET', `/edge/snapshots/${version}`);
    assert.equal(admin.body.distributions[0].origins[0].originAccessControl.keys.secretAccessKey, '***');
    const edgeToken = (await api('POST', '/tokens', { name: 'e', kind: 'edge', pop: 'reader' })).body.token as string;
    const edge = await api('GET', `/edge/snapshots/${version}`, undefined, { token: edgeToken });
    assert.equal(edge.body.distributions[0].origins[0].originAccessControl.keys.secretAccessKey, 'S3RVER');

    await fleet.start('p1');
    await until(
      'the PoP serving the private object',
      async () => {
        const r = await fleet.get('p1', '/index.html', { host: 'media.test' });
        return r.status === 200 && r.text === 'private page';
      },
      60_000,
      100,
    );
    const last = s3.requests[s3.requests.length - 1]!;
    assert.match(last.authorization ?? '', /^AWS4-HMAC-SHA256 Credential=S3RVER\//);
  });
});
