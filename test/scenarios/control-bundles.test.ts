// Deleting a function collects its code bundles that nothing references any more, and only
// those: a bundle a stored snapshot lists stays (edges that are behind fetch it by hash, and a
// rollback restores it), and so does one another function's $LATEST or version uses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { distribution, startTestControl, taggingSource, type TestControl } from '../../src/control/testing/harness.js';

describe('deleting a function collects its unreferenced bundles', () => {
  let t: TestControl;
  /** The bundle as edges fetch it: 200 while kept, 404 once collected. */
  const fetchBundle = async (sha: string) => (await t.api('GET', `/edge/bundles/${sha}`)).status;
  const stored = async (sha: string) => (await t.control.app.store.blobs.get(sha)) !== undefined;
  const create = async (name: string, tag: string) =>
    (await t.api('POST', '/functions', { name, runtime: 'nodejs', code: { source: taggingSource(tag) } })).body
      .codeSha256 as string;
  const putCode = async (name: string, tag: string) =>
    (await t.api('PUT', `/functions/${name}/code`, { code: { source: taggingSource(tag) } })).body.codeSha256 as string;
  const publish = async (name: string) => (await t.api('POST', `/functions/${name}/publish`)).body.sha256 as string;

  before(async () => {
    t = await startTestControl();
    assert.equal((await t.api('POST', '/distributions', distribution('shop'))).status, 201);
  });
  after(() => t.close());

  test('a function never attached: its versions and $LATEST bundles all go', async () => {
    const a = await create('scratch', 'a');
    assert.equal(await publish('scratch'), a);
    const b = await putCode('scratch', 'b');
    assert.equal(await publish('scratch'), b);
    const c = await putCode('scratch', 'c');
    for (const sha of [a, b, c]) assert.equal(await fetchBundle(sha), 200);
    assert.equal((await t.api('DELETE', '/functions/scratch')).status, 204);
    for (const sha of [a, b, c]) {
      assert.equal(await fetchBundle(sha), 404, `bundle ${sha.slice(0, 8)} is collected`);
      assert.equal(await stored(sha), false);
    }
    const line = t.logger.lines.find((r) => r.msg === 'function deleted' && r.function === 'scratch');
    assert.deepEqual([...((line?.bundlesDeleted as string[]) ?? [])].sort(), [a, b, c].sort());
  });

  test('a bundle a retained snapshot lists stays; the version no snapshot used goes', async () => {
    const v1 = await create('kept', 'k1');
    await publish('kept');
    const tr = await t.api('POST', '/triggers', {
      distributionId: 'shop',
      behavior: 'default',
      eventType: 'viewer-request',
      function: 'kept:1',
    });
    assert.equal(tr.status, 201);
    const withV1 = (await t.api('GET', '/deployments')).body.items[0].version as number;
    const v2 = await putCode('kept', 'k2');
    await publish('kept');
    assert.equal((await t.api('DELETE', `/triggers/${tr.body.id}`)).status, 204);
    assert.equal((await t.api('DELETE', '/functions/kept')).status, 204);
    assert.equal(await fetchBundle(v1), 200, 'snapshot ' + withV1 + ' lists it: an edge behind may still fetch it');
    assert.equal(await fetchBundle(v2), 404, 'v2 was never in a snapshot');
    // The snapshot that used it is still whole: every bundle it lists can be fetched.
    const snap = (await t.api('GET', `/edge/snapshots/${withV1}`)).body as { bundles: Record<string, unknown> };
    assert.deepEqual(Object.keys(snap.bundles), [v1]);
    for (const sha of Object.keys(snap.bundles)) assert.equal(await fetchBundle(sha), 200);
  });

  test('a bundle another function uses stays until that one goes too', async () => {
    const one = await create('twin1', 'same');
    const two = await create('twin2', 'same');
    assert.equal(one, two, 'the same files give the same bundle');
    await publish('twin1');
    assert.equal((await t.api('DELETE', '/functions/twin1')).status, 204);
    assert.equal(await fetchBundle(one), 200);
    assert.equal((await t.api('GET', '/functions/twin2/code')).status, 200, 'twin2 still reads its code');
    assert.equal((await t.api('DELETE', '/functions/twin2')).status, 204);
    assert.equal(await fetchBundle(one), 404);
  });

  test('only bundles are collected: a delete naming another kind deletes nothing', async () => {
    const sha = await create('scratch2', 'x');
    assert.equal(await t.control.app.store.blobs.delete(sha, 'kvs'), false, 'a kind mismatch deletes nothing');
    assert.equal(await stored(sha), true);
  });
});
