// CloudFront's built-in viewer features deployed like any other change: a public key, a key group
// and a distribution with a default root object, a geo block list and a behavior that trusts the
// group, created through the API, reach a managed PoP (`verge edge --control`) in a snapshot;
// signed URLs made by @aws-sdk/cloudfront-signer open the private behavior there, and rotating
// the group's key (PUT /key-groups) turns the old key's URLs into InvalidKey on the PoP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { getFrom } from '../harness/edge.js';
import { shopDistribution, startWorld, until, type World } from '../harness/replication.js';

const FRANCE = '127.0.0.2';
const USA = '127.0.0.3';

function keyPair() {
  const p = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: p.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: p.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

describe('signed URLs, geo restriction and root object on a managed PoP', () => {
  let world: World;
  let origin: ScriptedOrigin;
  const first = keyPair();
  const second = keyPair();
  let k1 = '';
  let groupId = '';
  const from = (addr: string, path: string) =>
    getFrom(world.edges.get('p1')!.edge.url, addr, path, { host: 'shop.test' });
  const sign = (keyPairId: string, privateKey: string, path: string) =>
    getSignedUrl({
      url: `http://shop.test${path}`,
      keyPairId,
      privateKey,
      dateLessThan: new Date(Date.now() + 3600_000).toISOString(),
    }).slice('http://shop.test'.length);

  before(async () => {
    origin = await startOrigin({ '*': (req) => ({ body: `origin ${req.url}` }) });
    world = await startWorld({ pops: [] });
    const overrides = join(world.dir, 'geo.json');
    writeFileSync(
      overrides,
      JSON.stringify({ [`${FRANCE}/32`]: { countryCode: 'FR' }, [`${USA}/32`]: { countryCode: 'US' } }),
    );
    await world.startEdge('p1', { geoOverrides: overrides });
  });
  after(async () => {
    await world?.close();
    await origin?.close();
  });

  test('the configuration deploys to the PoP and is Deployed', async () => {
    k1 = (await world.api<{ id: string }>('POST', '/public-keys', { name: 'k1', encodedKey: first.publicKey })).id;
    groupId = (await world.api<{ id: string }>('POST', '/key-groups', { name: 'signers', publicKeyIds: [k1] })).id;
    const d = shopDistribution(origin.port);
    await world.api('POST', '/distributions', {
      ...d,
      defaultRootObject: 'index.html',
      restrictions: { geoRestriction: { restrictionType: 'blocklist', locations: ['US'] } },
      defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingDisabled' },
      cacheBehaviors: [
        {
          pathPattern: '/private/*',
          targetOriginId: 'o',
          cachePolicy: 'CachingDisabled',
          originRequestPolicy: 'AllViewer',
          trustedKeyGroups: [groupId],
        },
      ],
    });
    await until('the PoP serving the distribution', async () => (await from(FRANCE, '/')).status === 200);
    await until(
      'Deployed',
      async () => (await world.api<{ status: string }>('GET', '/distributions/shop')).status === 'Deployed',
    );
  });

  test('the PoP applies the root object and the block list', async () => {
    assert.equal((await from(FRANCE, '/')).text, 'origin /index.html');
    const blocked = await from(USA, '/');
    assert.equal(blocked.status, 403);
    assert.equal(blocked.header('x-cache'), 'Error from verge');
  });

  test('a URL signed with the group key opens the private behavior; an unsigned one gets MissingKey', async () => {
    const ok = await from(FRANCE, sign(k1, first.privateKey, '/private/a.txt?v=1'));
    assert.equal(ok.status, 200);
    assert.equal(ok.text, 'origin /private/a.txt?v=1');
    const none = await from(FRANCE, '/private/a.txt');
    assert.equal(none.status, 403);
    assert.match(none.text, /<Code>MissingKey<\/Code>/);
  });

  test('rotating the key group reaches the PoP: the old key is unknown, the new one works', async () => {
    const oldUrl = sign(k1, first.privateKey, '/private/b.txt');
    assert.equal((await from(FRANCE, oldUrl)).status, 200);
    const k2 = (await world.api<{ id: string }>('POST', '/public-keys', { name: 'k2', encodedKey: second.publicKey }))
      .id;
    await world.api('PUT', `/key-groups/${groupId}`, { name: 'signers', publicKeyIds: [k2] });
    await until('the old key refused', async () => (await from(FRANCE, oldUrl)).status === 403);
    assert.match((await from(FRANCE, oldUrl)).text, /<Code>InvalidKey<\/Code>/);
    const fresh = await from(FRANCE, sign(k2, second.privateKey, '/private/b.txt'));
    assert.equal(fresh.status, 200);
    assert.equal(fresh.text, 'origin /private/b.txt');
  });
});
