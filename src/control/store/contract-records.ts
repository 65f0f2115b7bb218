/**
 * @module control/store/contract-records
 * The round-trip half of the store contract (`./contract.ts`): each repository stores and gives
 * back its records field for field (nulls, JSON columns, booleans, binary blobs, epoch times
 * beyond 32 bits), and keeps the rules its callers rely on (trigger replacement, monotonic
 * `touch`, an acknowledgement's `at` moving only when it changes, invalidation order, batch ids
 * claimed once, retention).
 */
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store, FunctionRecord, KeyGroupRecord, VersionRecord } from './types.js';

/** A time past 2^32 ms, so a 32-bit column would fail the round trip. */
const T = 1_765_000_000_000;

export function repoRoundTrips(store: () => Store): void {
  test('tokens: insert, find by hash and id, list, revoke once', async () => {
    const s = store();
    const t = {
      id: 'tok1',
      name: 'ci',
      kind: 'edge' as const,
      pop: 'pop-a',
      hash: 'h1',
      createdAt: T,
      revokedAt: null,
    };
    await s.tokens.insert(t);
    assert.deepEqual(await s.tokens.byHash('h1'), t);
    assert.deepEqual(await s.tokens.get('tok1'), t);
    assert.equal(await s.tokens.get('nope'), undefined);
    await s.tokens.revoke('tok1', T + 1);
    await s.tokens.revoke('tok1', T + 2);
    assert.equal((await s.tokens.get('tok1'))?.revokedAt, T + 1, 'a second revoke keeps the first time');
    assert.deepEqual(
      (await s.tokens.list()).map((x) => x.id),
      ['tok1'],
    );
  });

  test('blobs and functions: binary round trip, versions, bundles in use, delete', async () => {
    const s = store();
    const bytes = Uint8Array.from([0, 255, 1, 128, 0, 10, 13]);
    const shaOf = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    await s.blobs.put('sha-a', 'bundle', bytes);
    await s.blobs.put('sha-a', 'bundle', Uint8Array.from([9]));
    const got = await s.blobs.get('sha-a');
    assert.equal(got?.kind, 'bundle');
    assert.deepEqual([...got!.data], [9], 'bytes that do not hash to their name are rewritten by the next put');
    const sha = shaOf(bytes);
    await s.blobs.put(sha, 'kvs', bytes);
    await s.blobs.put(sha, 'kvs', Uint8Array.from([9]));
    assert.deepEqual([...(await s.blobs.get(sha))!.data], [...bytes], 'bytes that hash to their name are kept');
    const damaged = Uint8Array.from([0, 255, 1, 128, 0, 10, 12]);
    await s.blobs.put(shaOf(damaged), 'kvs', bytes);
    await s.blobs.put(shaOf(damaged), 'kvs', damaged);
    assert.deepEqual([...(await s.blobs.get(shaOf(damaged)))!.data], [...damaged], 'a damaged copy is repaired');
    const f: FunctionRecord = {
      name: 'fn1',
      runtime: 'nodejs',
      handler: 'index.handler',
      memoryMB: 128,
      timeoutMs: null,
      profile: null,
      concurrency: 4,
      env: { A: 'x' },
      secrets: { S: 'enc:1' },
      kvs: null,
      egress: { allow: ['api.example.com'] } as never,
      codeSha256: 'sha-a',
      codeSize: 7,
      revision: 1,
      createdAt: T,
      updatedAt: T,
    };
    await s.functions.insert(f);
    assert.deepEqual(await s.functions.get('fn1'), f);
    await s.functions.update({ ...f, revision: 2, env: {}, updatedAt: T + 5 });
    assert.deepEqual((await s.functions.get('fn1'))?.env, {});
    const { name: _n, codeSha256: _c, codeSize: _z, revision: _r, createdAt: _a, updatedAt: _u, ...settings } = f;
    const v: VersionRecord = {
      name: 'fn1',
      version: 1,
      sha256: 'sha-a',
      size: 7,
      description: 'd',
      createdAt: T,
      settings,
    };
    await s.functions.insertVersion(v);
    await s.functions.insertVersion({ ...v, version: 2, description: '' });
    assert.deepEqual(await s.functions.version('fn1', 1), v);
    assert.deepEqual(
      (await s.functions.versions('fn1')).map((x) => x.version),
      [1, 2],
    );
    assert.deepEqual([...(await s.functions.versionSummaries())], [['fn1', { count: 2, latest: 2 }]]);
    assert.deepEqual([...(await s.functions.bundlesInUse(['sha-a', 'sha-b']))], ['sha-a']);
    assert.deepEqual([...(await s.functions.bundlesInUse([]))], []);
    await s.functions.delete('fn1');
    assert.equal(await s.functions.get('fn1'), undefined);
    assert.deepEqual(await s.functions.versions('fn1'), []);
    assert.equal(await s.blobs.delete('sha-a', 'kvs'), false, 'only a blob of the kind named is deleted');
    assert.equal(await s.blobs.delete('sha-a', 'bundle'), true);
    assert.equal(await s.blobs.get('sha-a'), undefined);
  });

  test('distributions and triggers: config JSON, changedIn, replace per behavior and event', async () => {
    const s = store();
    const d = {
      id: 'D1',
      config: { id: 'D1', enabled: true } as never,
      revision: 1,
      changedIn: 0,
      createdAt: T,
      updatedAt: T,
    };
    await s.distributions.insert(d);
    await s.distributions.setChangedIn('D1', 7);
    assert.deepEqual(await s.distributions.get('D1'), { ...d, changedIn: 7 });
    const t = {
      distributionId: 'D1',
      behavior: 'default',
      eventType: 'viewer-request' as const,
      functionName: 'f',
      functionVersion: 1,
      includeBody: true,
      revision: 1,
      createdAt: T,
      canary: null,
    };
    assert.equal(await s.triggers.replace({ ...t, id: 'tr-a' }), undefined);
    // A canary (domain/canary.ts) is kept whole, its times beyond 32 bits included.
    const canary = {
      id: 'can_1',
      functionName: 'f',
      functionVersion: 3,
      percent: 10,
      steps: [10, 50, 100],
      stepIntervalMs: 60_000,
      autoRollback: true,
      state: 'stepping' as const,
      startedAt: T,
      stepAt: T,
      events: [{ at: T, kind: 'started' as const, percent: 10, message: 'f:3 runs for 10% of viewers' }],
    };
    await s.triggers.replace({ ...t, id: 'tr-a', canary });
    assert.deepEqual((await s.triggers.get('tr-a'))?.canary, canary);
    await s.triggers.replace({ ...t, id: 'tr-a' });
    assert.deepEqual(await s.triggers.replace({ ...t, id: 'tr-b', functionVersion: 2 }), { ...t, id: 'tr-a' });
    await s.triggers.replace({ ...t, id: 'tr-c', eventType: 'origin-request', functionName: 'g' });
    assert.deepEqual(
      (await s.triggers.list({ distributionId: 'D1' })).map((x) => [x.id, x.functionVersion, x.includeBody]),
      [
        ['tr-c', 1, true],
        ['tr-b', 2, true],
      ],
    );
    assert.deepEqual(
      (await s.triggers.list({ functionName: 'g' })).map((x) => x.id),
      ['tr-c'],
    );
    await s.triggers.delete('tr-c');
    assert.equal(await s.triggers.get('tr-c'), undefined);
    await s.distributions.delete('D1');
    assert.equal(await s.distributions.get('D1'), undefined);
  });

  test('key-value stores, public keys and key groups round trip', async () => {
    const s = store();
    const k = { name: 'kv1', data: { a: '1', 'b c': 'ü' }, revision: 1, createdAt: T, updatedAt: T };
    await s.kvs.insert(k);
    assert.deepEqual(await s.kvs.get('kv1'), k);
    const pk = { id: 'K1', name: 'key-one', encodedKey: '-----BEGIN PUBLIC KEY-----\nx\n', comment: '', createdAt: T };
    await s.publicKeys.insert(pk);
    assert.deepEqual(await s.publicKeys.byName('key-one'), pk);
    const g: KeyGroupRecord = {
      id: 'G1',
      name: 'group',
      comment: 'c',
      publicKeyIds: ['K2', 'K1'],
      revision: 1,
      createdAt: T,
      updatedAt: T,
    };
    await s.keyGroups.insert(g);
    await s.keyGroups.update({ ...g, publicKeyIds: ['K1'], revision: 2 });
    assert.deepEqual(await s.keyGroups.byName('group'), { ...g, publicKeyIds: ['K1'], revision: 2 });
    await s.keyGroups.delete('G1');
    await s.publicKeys.delete('K1');
    assert.deepEqual(await s.keyGroups.list(), []);
    assert.deepEqual(await s.publicKeys.list(), []);
  });

  test('pops and acknowledgements: touch never goes back; a distribution ack moves `at` only on change', async () => {
    const s = store();
    const p = {
      id: 'pop-a',
      region: 'eu',
      location: null,
      edgeVersion: '1',
      appliedVersion: 0,
      lastSeen: T,
      registeredAt: T,
    };
    await s.pops.upsert(p);
    await s.pops.touch('pop-a', T + 10);
    await s.pops.touch('pop-a', T + 5);
    await s.pops.setApplied('pop-a', 3);
    assert.deepEqual(await s.pops.get('pop-a'), { ...p, lastSeen: T + 10, appliedVersion: 3 });
    const a = { pop: 'pop-a', distributionId: 'D1', generation: 2, wanted: 2, ok: true, error: null, at: T };
    await s.snapshots.putDistributionAck(a);
    await s.snapshots.putDistributionAck({ ...a, at: T + 9 });
    assert.equal((await s.snapshots.distributionAcks('D1'))[0]?.at, T, 'same state: at stays');
    await s.snapshots.putDistributionAck({ ...a, wanted: 3, ok: false, error: 'refused', at: T + 20 });
    assert.deepEqual(await s.snapshots.distributionAcks(), [
      { ...a, wanted: 3, ok: false, error: 'refused', at: T + 20 },
    ]);
    await s.snapshots.putAck({ version: 3, pop: 'pop-a', ok: false, error: 'x', at: T });
    await s.snapshots.putAck({ version: 3, pop: 'pop-a', ok: true, error: null, at: T + 1 });
    assert.deepEqual(await s.snapshots.acks(3), [{ version: 3, pop: 'pop-a', ok: true, error: null, at: T + 1 }]);
    await s.pops.delete('pop-a');
    assert.deepEqual(await s.pops.list(), []);
  });

  test('snapshots: stored as given, newest first, bundles in use read from the documents', async () => {
    const s = store();
    const base = await s.snapshots.latestVersion();
    const doc = JSON.stringify({ bundles: { 'sha-x': { size: 1 }, 'sha-y': { size: 2 } } });
    await s.snapshots.insert({ version: base + 1, createdAt: T, checksum: 'c1', reason: 'r', document: doc });
    assert.equal(await s.snapshots.latestVersion(), base + 1);
    assert.deepEqual(await s.snapshots.get(base + 1), {
      version: base + 1,
      createdAt: T,
      checksum: 'c1',
      reason: 'r',
      document: doc,
    });
    assert.deepEqual([...(await s.snapshots.bundlesInUse(['sha-y', 'sha-z']))], ['sha-y']);
    assert.equal((await s.snapshots.list(1))[0]?.version, base + 1);
  });

  test('invalidations: seq in insertion order, unacknowledged ones per PoP', async () => {
    const s = store();
    const a = await s.invalidations.insert({
      id: 'inv-a',
      distributionId: 'D1',
      paths: ['/a*'],
      tags: [],
      createdAt: T,
    });
    const b = await s.invalidations.insert({ id: 'inv-b', distributionId: 'D2', paths: [], tags: ['t'], createdAt: T });
    assert.ok(b.seq > a.seq);
    assert.equal(await s.invalidations.lastSeq(), b.seq);
    await s.invalidations.putAck({ id: 'inv-a', pop: 'p1', removed: 3, at: T });
    assert.deepEqual(
      (await s.invalidations.unackedSince('p1', 0)).map((i) => i.id),
      ['inv-b'],
    );
    assert.deepEqual(
      (await s.invalidations.list('D1')).map((i) => i.paths),
      [['/a*']],
    );
    assert.deepEqual(await s.invalidations.acks('inv-a'), [{ id: 'inv-a', pop: 'p1', removed: 3, at: T }]);
  });
}
