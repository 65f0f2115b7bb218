// Distributions, triggers, KeyValueStores and snapshots through the API: validation naming the
// field, CloudFront's association rules (numbered versions, IncludeBody, CloudFront Functions on
// viewer events, package size per event), one trigger per behavior and event, snapshot contents
// and checksums, If-Match on distributions, and rollback to an earlier snapshot's content.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { zipSync, strToU8 } from 'fflate';
import { INCLUDE_BODY_MESSAGE } from '../../src/shared/config/rules-behaviors.js';
import { BUNDLE_PREFIX, KVS_PREFIX, canonicalJson, type Snapshot } from '../../src/shared/replication/protocol.js';
import { distribution, startTestControl, taggingSource, type TestControl } from '../../src/control/testing/harness.js';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const paths = (r: { body: { error: { fields: Array<{ path: string }> } } }) => r.body.error.fields.map((f) => f.path);
const CFF = `function handler(event) { var r = event.request; r.headers['x-flag'] = { value: 'on' }; return r; }`;

describe('control plane deployments', () => {
  let t: TestControl;
  const latest = async () =>
    (await t.api('GET', '/deployments')).body.items[0] as { version: number; reason: string; checksum: string };
  const snapshot = async (v: number) => (await t.api('GET', `/edge/snapshots/${v}`)).body as Snapshot;
  const content = (s: Snapshot) => canonicalJson({ d: s.distributions, b: s.bundles, k: s.kvs });

  before(async () => {
    t = await startTestControl();
    await t.api('POST', '/functions', {
      name: 'auth',
      runtime: 'nodejs',
      env: { STAGE: 'prod' },
      memoryMB: 256,
      timeoutMs: 3000,
      code: { source: taggingSource('auth') },
    });
    await t.api('POST', '/functions/auth/publish', {});
    await t.api('POST', '/kvs', { name: 'flags', data: { beta: 'on' } });
    await t.api('POST', '/functions', {
      name: 'edgeflag',
      runtime: 'cloudfront-js-2.0',
      kvs: 'flags',
      code: { source: CFF },
    });
    await t.api('POST', '/functions/edgeflag/publish', {});
  });
  after(() => t.close());

  test('distribution validation names fields; associations, host clashes and id mismatches are refused', async () => {
    const bad = await t.api('POST', '/distributions', {
      id: 'x',
      origins: [{ id: 'o', domainName: 'h', port: 99999 }],
      defaultCacheBehavior: { targetOriginId: 'nope' },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(paths(bad).sort(), ['$.defaultCacheBehavior.targetOriginId', '$.origins[0].port']);
    const withFn = await t.api(
      'POST',
      '/distributions',
      distribution('y', { defaultCacheBehavior: { targetOriginId: 'origin', functionAssociations: [] } }),
    );
    assert.deepEqual(paths(withFn), ['$.defaultCacheBehavior.functionAssociations']);
    assert.equal((await t.api('POST', '/distributions', distribution('shop'))).status, 201);
    assert.equal((await t.api('POST', '/distributions', distribution('shop'))).status, 409);
    const clash = await t.api('POST', '/distributions', distribution('copy', { aliases: ['shop.test'] }));
    assert.deepEqual(paths(clash), ['$.aliases']);
    const mismatch = await t.api('PUT', '/distributions/shop', distribution('other'));
    assert.deepEqual(paths(mismatch), ['$.id']);
    assert.equal((await t.api('GET', '/distributions/nope')).status, 404);
    assert.equal((await latest()).reason, 'distribution shop created');
  });

  test('trigger rules: numbered versions, known behavior, IncludeBody, CloudFront Functions on viewer events', async () => {
    const before = await latest();
    const base = { distributionId: 'shop', behavior: '/api/*', eventType: 'origin-request' };
    const latestV = await t.api('POST', '/triggers', { ...base, function: 'auth:$LATEST' });
    assert.deepEqual(paths(latestV), ['$.function']);
    assert.match(latestV.body.error.fields[0].message, /numbered version/);
    assert.deepEqual(paths(await t.api('POST', '/triggers', { ...base, function: 'auth:9' })), ['$.function']);
    assert.deepEqual(paths(await t.api('POST', '/triggers', { ...base, function: 'auth' })), ['$.function']);
    assert.deepEqual(paths(await t.api('POST', '/triggers', { ...base, behavior: '/nope/*', function: 'auth:1' })), [
      '$.behavior',
    ]);
    assert.deepEqual(paths(await t.api('POST', '/triggers', { ...base, distributionId: 'nope', function: 'auth:1' })), [
      '$.distributionId',
    ]);
    assert.deepEqual(paths(await t.api('POST', '/triggers', { ...base, eventType: 'sideways', function: 'auth:1' })), [
      '$.eventType',
    ]);
    const body = await t.api('POST', '/triggers', {
      ...base,
      eventType: 'origin-response',
      function: 'auth:1',
      includeBody: true,
    });
    assert.deepEqual(body.body.error.fields, [{ path: '$.includeBody', message: INCLUDE_BODY_MESSAGE }]);
    const cff = await t.api('POST', '/triggers', { ...base, function: 'edgeflag:1' });
    assert.deepEqual(paths(cff), ['$.eventType']);
    assert.match(cff.body.error.fields[0].message, /viewer-request or viewer-response/);
    assert.equal((await latest()).version, before.version, 'refused triggers make no snapshot');
  });

  test("package size is checked against the event limit with CloudFront's message", async () => {
    const zip = zipSync({
      'index.js': [strToU8(taggingSource('big')), {}],
      'blob.bin': [randomBytes(1_100_000), { level: 0 }],
    });
    await t.api('POST', '/functions', {
      name: 'big',
      runtime: 'nodejs',
      code: { zipBase64: Buffer.from(zip).toString('base64') },
    });
    const v = (await t.api('POST', '/functions/big/publish', {})).body;
    assert.ok(v.size > 1_048_576);
    const viewer = await t.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: 'default',
      eventType: 'viewer-request',
      function: 'big:1',
    });
    assert.deepEqual(viewer.body.error.fields, [
      {
        path: '$.function',
        message: `The function code size is larger than the maximum allowed size for functions that are triggered by a CloudFront event: ${v.size} Max allowed: 1048576`,
      },
    ]);
    const origin = await t.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: 'default',
      eventType: 'origin-request',
      function: 'big:1',
    });
    assert.equal(origin.status, 201);
    assert.equal((await t.api('DELETE', `/triggers/${origin.body.id}`)).status, 204);
  });

  test('attaching produces a snapshot with the compiled association, bundle, env and KVS', async () => {
    const a = await t.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: '/api/*',
      eventType: 'origin-request',
      function: 'auth:1',
      includeBody: true,
    });
    assert.equal(a.status, 201);
    assert.equal(a.body.function, 'auth:1');
    const c = await t.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: 'default',
      eventType: 'viewer-request',
      function: 'edgeflag:1',
    });
    assert.equal(c.status, 201);
    const d = await latest();
    assert.equal(d.reason, 'function edgeflag:1 attached to shop default viewer-request');
    const s = await snapshot(d.version);
    assert.equal(
      s.checksum,
      sha256(
        canonicalJson({
          version: s.version,
          distributions: s.distributions,
          bundles: s.bundles,
          kvs: s.kvs,
          generations: s.generations,
        }),
      ),
    );
    // Each distribution's generation: the snapshot that last changed it (this one, for shop).
    assert.equal(s.generations?.shop, s.version);
    const shop = s.distributions.find((x) => x.id === 'shop')!;
    const api = shop.cacheBehaviors![0]!.functionAssociations!;
    assert.equal(api.length, 1);
    assert.equal(api[0]!.includeBody, true);
    const fn = api[0]!.function as unknown as Record<string, unknown>;
    const auth = (await t.api('GET', '/functions/auth/versions')).body.items[0];
    assert.deepEqual(fn, {
      path: BUNDLE_PREFIX + auth.sha256,
      name: 'auth',
      version: '1',
      handler: 'index.handler',
      runtime: 'nodejs',
      env: { STAGE: 'prod' },
      timeoutMs: 3000,
      memoryMB: 256,
    });
    assert.deepEqual(s.bundles[auth.sha256], { sha256: auth.sha256, size: auth.size, name: 'auth', version: '1' });
    const cf = shop.defaultCacheBehavior.functionAssociations![0]!.function as {
      kvs: { id: string; path: string };
      runtime: string;
    };
    assert.equal(cf.runtime, 'cloudfront-js-2.0');
    assert.equal(cf.kvs.id, 'flags');
    const kvsSha = cf.kvs.path.slice(KVS_PREFIX.length);
    assert.deepEqual(s.kvs.flags, { sha256: kvsSha, keyCount: 1, name: 'flags' });
    const res = await fetch(`${t.control.url}/api/v1/edge/kvs/${kvsSha}`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    const text = await res.text();
    assert.equal(sha256(text), kvsSha);
    assert.deepEqual(JSON.parse(text), { beta: 'on' });
  });

  test('one trigger per behavior and event: attaching again replaces it', async () => {
    await t.api('PUT', '/functions/auth/code', { code: { source: taggingSource('auth2') } });
    await t.api('POST', '/functions/auth/publish', {});
    const r = await t.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: '/api/*',
      eventType: 'origin-request',
      function: 'auth:2',
    });
    assert.equal(r.status, 201);
    const list = (await t.api('GET', '/triggers?distributionId=shop')).body.items;
    assert.deepEqual(
      list
        .map(
          (x: { behavior: string; eventType: string; function: string }) =>
            `${x.behavior} ${x.eventType} ${x.function}`,
        )
        .sort(),
      ['/api/* origin-request auth:2', 'default viewer-request edgeflag:1'],
    );
    const s = await snapshot((await latest()).version);
    assert.equal(
      (s.distributions[0]!.cacheBehaviors![0]!.functionAssociations![0]!.function as { version: string }).version,
      '2',
    );
  });

  test('a KVS change used by an attached function makes a snapshot; an unused one does not', async () => {
    const before = await latest();
    await t.api('POST', '/kvs', { name: 'unused', data: {} });
    await t.api('PUT', '/kvs/unused/keys/a', { value: '1' });
    assert.equal((await latest()).version, before.version);
    const put = await t.api('PUT', '/kvs/flags/keys/gamma', { value: 'off' });
    assert.equal(put.body.keyCount, 2);
    const after = await latest();
    assert.equal(after.version, before.version + 1);
    assert.equal(after.reason, 'KeyValueStore flags: key gamma set');
    assert.equal((await snapshot(after.version)).kvs.flags!.keyCount, 2);
    const big = await t.api('PUT', `/kvs/flags/keys/${'k'.repeat(600)}`, { value: 'x' });
    assert.equal(big.status, 400);
    assert.equal((await t.api('GET', '/kvs/flags')).body.data.gamma, 'off');
    assert.equal((await t.api('DELETE', '/kvs/flags')).status, 400, 'a function uses it');
  });

  test('distribution PUT: stale If-Match is 412 and nothing is lost; dropping a behavior with triggers is refused', async () => {
    const cur = await t.api('GET', '/distributions/shop');
    const etag = cur.headers.get('etag')!;
    const v1 = { ...cur.body.config, comment: 'first' };
    const ok = await t.api('PUT', '/distributions/shop', v1, { ifMatch: etag });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, 'Deployed', 'no PoP registered');
    const stale = await t.api(
      'PUT',
      '/distributions/shop',
      { ...cur.body.config, comment: 'second' },
      { ifMatch: etag },
    );
    assert.equal(stale.status, 412);
    assert.equal((await t.api('GET', '/distributions/shop')).body.config.comment, 'first');
    const dropped = await t.api('PUT', '/distributions/shop', { ...v1, cacheBehaviors: [] });
    assert.deepEqual(paths(dropped), ['$.cacheBehaviors']);
    assert.match(dropped.body.error.fields[0].message, /\/api\/\* has trigger/);
    assert.equal((await t.api('DELETE', '/distributions/shop', undefined, { ifMatch: etag })).status, 412);
  });

  test('rollback makes a new snapshot whose content equals the earlier one, and the API shows it', async () => {
    const items = (await t.api('GET', '/deployments')).body.items as Array<{ version: number; reason: string }>;
    const target = items.find((i) => i.reason === 'function edgeflag:1 attached to shop default viewer-request')!;
    const old = await snapshot(target.version);
    const before = await latest();
    const r = await t.api('POST', '/deployments/rollback', { version: target.version });
    assert.equal(r.status, 201);
    assert.equal(r.body.version, before.version + 1);
    assert.equal(r.body.reason, `rollback to snapshot ${target.version}`);
    const now = await snapshot(r.body.version);
    assert.equal(content(now), content(old));
    assert.notEqual(now.checksum, old.checksum, 'the checksum covers the version number');
    const trig = (await t.api('GET', '/triggers?distributionId=shop')).body.items
      .map((x: { function: string }) => x.function)
      .sort();
    assert.deepEqual(trig, ['auth:1', 'edgeflag:1']);
    assert.equal((await t.api('GET', '/kvs/flags')).body.keyCount, 1);
    assert.equal((await t.api('GET', '/distributions/shop')).body.config.comment, undefined);
    assert.equal((await t.api('POST', '/deployments/rollback', { version: 999 })).status, 404);
    assert.deepEqual(paths(await t.api('POST', '/deployments/rollback', {})), ['$.version']);
  });

  test('rollback to a snapshot whose function was deleted is refused; delete distribution removes its triggers', async () => {
    const withBig = (await t.api('GET', '/deployments')).body.items.find((i: { reason: string }) =>
      /big:1 attached/.test(i.reason),
    );
    const r = await t.api('DELETE', '/distributions/shop');
    assert.equal(r.status, 204);
    assert.deepEqual((await t.api('GET', '/triggers?distributionId=shop')).body.items, []);
    assert.equal((await t.api('DELETE', '/functions/big')).status, 204);
    const refused = await t.api('POST', '/deployments/rollback', { version: withBig.version });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /big:1/);
    assert.equal((await t.api('GET', '/distributions/shop')).status, 404, 'nothing changed');
    assert.deepEqual((await snapshot((await latest()).version)).distributions, []);
  });
});
