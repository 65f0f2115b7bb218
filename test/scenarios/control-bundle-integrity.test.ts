// A code bundle damaged in the control plane's store (a bad sector, a bad restore) is never shown,
// gated or served: reading the code back, publish, attach (the deploy gate), a test run and the
// edge's fetch by hash all answer BUNDLE_CORRUPT naming the function, version and both hashes, on
// SQLite (verge.db) and on PostgreSQL. The bytes are damaged through each store's own SQL; what
// else the user stored is untouched, and putting the byte back makes every path answer again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { distribution, taggingSource, type TestControl } from '../../src/control/testing/harness.js';
import { ControlClient } from '../../src/edge/sync/control-client.js';
import { needs } from '../harness/needs.js';
import { missingPostgres } from '../harness/services.js';
import { postgresStore, sqliteStore, type Damage } from '../harness/blob-damage.js';

const missing = await missingPostgres();

for (const [name, store, skip] of [
  ['SQLite', sqliteStore, false],
  ['PostgreSQL', postgresStore, needs(missing)],
] as const) {
  describe(`a bundle damaged in the store (${name}) is refused with BUNDLE_CORRUPT`, { skip }, () => {
    let t: TestControl;
    let flip: Damage;
    let close: () => Promise<void>;
    let sha: string;
    let other: string;
    let actual: string;

    /** The refusal every path gives: the code, the function and version, both hashes. */
    const refused = (r: { status: number; body: any; text: string }, version: string) => {
      assert.equal(r.status, 500, r.text);
      const e = r.body.error;
      assert.equal(e.code, 'BUNDLE_CORRUPT', r.text);
      assert.match(e.message, new RegExp(`tagger:${version.replace('$', '\\$')}`));
      assert.ok(e.message.includes(sha) && e.message.includes(actual), e.message);
      assert.match(e.message, /update-code tagger/);
      assert.match(e.message, /restore the database from backup/);
      assert.equal(e.details.sha256, sha);
      assert.equal(e.details.actualSha256, actual);
      assert.deepEqual(e.details.functions, [
        { name: 'tagger', version: '$LATEST' },
        { name: 'tagger', version: '1' },
      ]);
    };

    before(async () => {
      ({ t, flip, close } = await store.start());
      assert.equal((await t.api('POST', '/distributions', distribution('shop'))).status, 201);
      const created = await t.api('POST', '/functions', {
        name: 'tagger',
        runtime: 'nodejs',
        code: { source: taggingSource('good') },
      });
      assert.equal(created.status, 201, created.text);
      sha = created.body.codeSha256;
      assert.equal((await t.api('POST', '/functions/tagger/publish')).status, 201);
      const o = await t.api('POST', '/functions', {
        name: 'other',
        runtime: 'nodejs',
        code: { source: taggingSource('o') },
      });
      other = o.body.codeSha256;
      await flip(sha);
      const row = await t.control.app.store.blobs.get(sha);
      actual = createHash('sha256').update(row!.data).digest('hex');
      assert.notEqual(actual, sha, 'the stored bytes no longer hash to their sha256');
    });
    after(() => close?.());

    test('reading the code back answers the error, not garbage ($LATEST and version 1)', async () => {
      refused(await t.api('GET', '/functions/tagger/code'), '$LATEST');
      refused(await t.api('GET', '/functions/tagger/code?version=1'), '1');
    });

    test('the deploy gate refuses: publish and attach change nothing', async () => {
      const snapshots = (await t.api('GET', '/deployments')).body.items.length;
      refused(await t.api('POST', '/functions/tagger/publish'), '$LATEST');
      assert.equal((await t.api('GET', '/functions/tagger/versions')).body.items.length, 1, 'no version 2');
      const attach = await t.api('POST', '/triggers', {
        distributionId: 'shop',
        behavior: 'default',
        eventType: 'viewer-request',
        function: 'tagger:1',
      });
      refused(attach, '1');
      assert.deepEqual((await t.api('GET', '/triggers')).body.items, [], 'nothing attached');
      assert.equal((await t.api('GET', '/deployments')).body.items.length, snapshots, 'no new snapshot');
      refused(await t.api('POST', '/functions/tagger/test', { eventType: 'viewer-request', version: 1 }), '1');
    });

    test('the edge fetch by hash answers an error status, and the PoP client fails naming it', async () => {
      refused(await t.api('GET', `/edge/bundles/${sha}`), '1');
      const client = new ControlClient({ url: t.control.url, token: t.adminToken });
      await assert.rejects(client.bundle(sha), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'REPLICATION_FAILED');
        assert.match(e.message, /HTTP 500: the code bundle of function tagger:\$LATEST, tagger:1 is damaged/);
        return true;
      });
    });

    test('nothing else is touched, and the repaired bytes are answered again', async () => {
      const o = await t.api('GET', '/functions/other/code');
      assert.equal(o.status, 200, o.text);
      assert.equal((await t.api('GET', `/edge/bundles/${other}`)).status, 200);
      assert.equal((await t.api('GET', '/functions/tagger')).status, 200, 'the function record still reads');
      await flip(sha);
      const code = await t.api('GET', '/functions/tagger/code?version=1');
      assert.equal(code.status, 200, code.text);
      assert.equal(code.body.sha256, sha);
      const got = await new ControlClient({ url: t.control.url, token: t.adminToken }).bundle(sha);
      assert.equal(createHash('sha256').update(got).digest('hex'), sha, 'the PoP gets the bundle whole');
      const attach = await t.api('POST', '/triggers', {
        distributionId: 'shop',
        behavior: 'default',
        eventType: 'viewer-request',
        function: 'tagger:1',
      });
      assert.equal(attach.status, 201, attach.text);
    });
  });
}
