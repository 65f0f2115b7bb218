// A damaged blob is repaired by putting the same bytes again, and KeyValueStore data is checked
// against its hash like a bundle, on SQLite and on PostgreSQL. Before: a put of a sha256 already
// stored changed nothing, so uploading the same code kept the damaged copy for good, and KVS
// bytes went to PoPs (and into a rollback) unchecked. The bytes are damaged through each store's
// own SQL (test/harness/blob-damage.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { kvsBlob } from '../../src/control/compile/snapshot.js';
import { distribution, taggingSource, type TestControl } from '../../src/control/testing/harness.js';
import { ControlClient } from '../../src/edge/sync/control-client.js';
import { needs } from '../harness/needs.js';
import { missingPostgres } from '../harness/services.js';
import { postgresStore, sqliteStore, type Damage } from '../harness/blob-damage.js';

const missing = await missingPostgres();
const CFF = `function handler(event) { return event.request; }`;
const hash = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

for (const [name, store, skip] of [
  ['SQLite', sqliteStore, false],
  ['PostgreSQL', postgresStore, needs(missing)],
] as const) {
  describe(`damaged blobs (${name}): KVS checked, both repaired by the same bytes`, { skip }, () => {
    let t: TestControl;
    let flip: Damage;
    let close: () => Promise<void>;
    let client: ControlClient;
    const kvsSha = kvsBlob({ a: '1' }).sha256;
    const deployments = async () => (await t.api('GET', '/deployments')).body.items.length as number;
    const kvsCorrupt = (r: { status: number; body: any; text: string }) => {
      assert.equal(r.status, 500, r.text);
      assert.equal(r.body.error.code, 'KVS_CORRUPT', r.text);
      assert.equal(r.body.error.details.sha256, kvsSha);
      assert.notEqual(r.body.error.details.actualSha256, kvsSha);
    };

    before(async () => {
      ({ t, flip, close } = await store.start());
      client = new ControlClient({ url: t.control.url, token: t.adminToken });
      assert.equal((await t.api('POST', '/distributions', distribution('shop'))).status, 201);
      assert.equal((await t.api('POST', '/kvs', { name: 'cfg', data: { a: '1' } })).status, 201);
      for (const [fn, body] of [
        ['tagger', { runtime: 'nodejs', code: { source: taggingSource('good') } }],
        ['flags', { runtime: 'cloudfront-js-2.0', kvs: 'cfg', code: { source: CFF } }],
      ] as const) {
        const r = await t.api('POST', '/functions', { name: fn, ...body });
        assert.equal(r.status, 201, r.text);
        assert.equal((await t.api('POST', `/functions/${fn}/publish`)).status, 201);
      }
      for (const [eventType, fn] of [
        ['viewer-request', 'flags:1'],
        ['origin-request', 'tagger:1'],
      ])
        assert.equal(
          (await t.api('POST', '/triggers', { distributionId: 'shop', behavior: 'default', eventType, function: fn }))
            .status,
          201,
        );
      assert.equal(hash(await client.kvs(kvsSha)), kvsSha, 'the attached KVS data is stored under its hash');
    });
    after(() => close?.());

    test('a damaged bundle is repaired by uploading the same code again', async () => {
      const sha = (await t.api('GET', '/functions/tagger')).body.codeSha256 as string;
      await flip(sha);
      assert.equal((await t.api('GET', '/functions/tagger/code?version=1')).body.error?.code, 'BUNDLE_CORRUPT');
      const again = await t.api('PUT', '/functions/tagger/code', { code: { source: taggingSource('good') } });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.codeSha256, sha, 'the same code has the same hash');
      const code = await t.api('GET', '/functions/tagger/code?version=1');
      assert.equal(code.status, 200, code.text);
      assert.equal(hash(await client.bundle(sha)), sha, 'a PoP gets the bundle whole again');
    });

    test('damaged KVS data is not served to a PoP: KVS_CORRUPT naming the store', async () => {
      await flip(kvsSha);
      const r = await t.api('GET', `/edge/kvs/${kvsSha}`);
      kvsCorrupt(r);
      assert.deepEqual(r.body.error.details.kvs, ['cfg']);
      assert.match(r.body.error.message, /KeyValueStore cfg is damaged/);
      await assert.rejects(client.kvs(kvsSha), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'REPLICATION_FAILED');
        assert.match(e.message, /HTTP 500: the KeyValueStore data of KeyValueStore cfg is damaged/);
        return true;
      });
    });

    test('a rollback that needs the damaged data is refused, and nothing changes', async () => {
      const before = await deployments();
      const usedIt = (await t.api('GET', '/deployments')).body.items[0].version as number;
      assert.equal((await t.api('PUT', '/kvs/cfg/keys/a', { value: '2' })).status, 200);
      const r = await t.api('POST', '/deployments/rollback', { version: usedIt });
      kvsCorrupt(r);
      assert.deepEqual(r.body.error.details.kvs, [], 'no KeyValueStore holds that data now');
      assert.equal(await deployments(), before + 1, 'only the key change made a snapshot');
      assert.equal((await t.control.app.store.kvs.get('cfg'))?.data.a, '2', 'the KeyValueStore keeps its data');
    });

    test('putting the same data again (set the key back) repairs it', async () => {
      assert.equal((await t.api('PUT', '/kvs/cfg/keys/a', { value: '1' })).status, 200);
      const r = await t.api('GET', `/edge/kvs/${kvsSha}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(hash(await client.kvs(kvsSha)), kvsSha);
    });
  });
}
