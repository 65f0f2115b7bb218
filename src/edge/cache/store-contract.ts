/**
 * @module edge/cache/store-contract
 * The contract every CacheStore passes (memory, disk, tiered, and any future one): round trips,
 * overwrite, delete, path and tag invalidation, the byte budget with least-recently-used
 * eviction, the per-entry cap and hit/miss counting, and streamed objects (store-contract-stream.ts).
 * Run it from a test file:
 * `cacheStoreContract('memory', async (o) => new MemoryStore(o))`.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CacheEntry, CacheStore } from './types.js';
import { estimateSize } from './storable.js';
import { streamContract } from './store-contract-stream.js';

export interface ContractStoreOptions {
  /** Total byte budget the store (all tiers together) should honour. */
  maxBytes: number;
  maxEntryBytes?: number;
}
export type MakeStore = (opts: ContractStoreOptions) => Promise<CacheStore>;

/** A test entry; keys of equal length and equal bodies give equal sizes. */
export function makeEntry(path: string, over: Partial<CacheEntry> = {}, bodyBytes = 100): CacheEntry {
  const body = Buffer.alloc(bodyBytes);
  for (let i = 0; i < bodyBytes; i++) body[i] = (i * 31 + path.length) & 0xff;
  const e: CacheEntry = {
    key: 'd1.verge.local' + path,
    distributionId: 'D1',
    status: 200,
    statusText: 'OK',
    headers: { 'content-type': [{ key: 'Content-Type', value: 'application/octet-stream' }] },
    body,
    storedAt: Date.UTC(2026, 0, 1),
    initialAgeSec: 0,
    ttlMs: 60_000,
    staleWhileRevalidateMs: 0,
    staleIfErrorMs: Infinity,
    etag: '"e1"',
    tags: [],
    invalidationPath: path,
    vary: [],
    size: 0,
    ...over,
  };
  e.size = estimateSize(e);
  return e;
}

export function cacheStoreContract(name: string, makeStore: MakeStore): void {
  describe(`CacheStore contract: ${name}`, () => {
    const open: CacheStore[] = [];
    const make = async (opts: ContractStoreOptions): Promise<CacheStore> => {
      const s = await makeStore(opts);
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });
    const unit = makeEntry('/a').size;

    test('a miss on an empty store counts as a miss', async () => {
      const s = await make({ maxBytes: 1 << 20 });
      assert.equal(await s.getAsync('nope'), undefined);
      assert.equal(s.stats().misses, 1);
      assert.equal(s.stats().entries, 0);
    });

    test('set then getAsync returns an equal entry (binary body, Infinity, tags)', async () => {
      const s = await make({ maxBytes: 1 << 20 });
      const e = makeEntry('/a', {
        tags: ['t1', 't2'],
        lastModified: 'Wed, 31 Dec 2025 00:00:00 GMT',
        vary: ['accept'],
      });
      s.set(e);
      assert.deepEqual(await s.getAsync(e.key), e);
      assert.equal(s.stats().hits, 1);
      assert.equal(s.stats().entries, 1);
      assert.equal(s.stats().bytes, e.size);
    });

    test('a second set replaces the first', async () => {
      const s = await make({ maxBytes: 1 << 20 });
      s.set(makeEntry('/a', { etag: '"v1"' }));
      s.set(makeEntry('/a', { etag: '"v2"' }));
      assert.equal((await s.getAsync(makeEntry('/a').key))?.etag, '"v2"');
      assert.equal(s.stats().entries, 1);
    });

    test('delete removes once', async () => {
      const s = await make({ maxBytes: 1 << 20 });
      const e = makeEntry('/a');
      s.set(e);
      assert.equal(s.delete(e.key), true);
      assert.equal(s.delete(e.key), false);
      assert.equal(await s.getAsync(e.key), undefined);
      assert.equal(s.stats().bytes, 0);
    });

    test('invalidate by path: exact, wildcard, query, other distributions untouched', async () => {
      const s = await make({ maxBytes: 1 << 20 });
      const entries = [
        makeEntry('/a.jpg'),
        makeEntry('/a.jpg?x=1'),
        makeEntry('/img/1.png'),
        makeEntry('/img/2.png'),
        makeEntry('/other'),
        makeEntry('/a.jpg', { key: 'd2.verge.local/a.jpg', distributionId: 'D2' }),
      ];
      for (const e of entries) s.set(e);
      assert.equal(s.invalidate({ distributionId: 'D1', paths: ['/a.jpg'] }), 1);
      assert.equal(await s.getAsync('d1.verge.local/a.jpg'), undefined);
      assert.ok(await s.getAsync('d1.verge.local/a.jpg?x=1'));
      assert.ok(await s.getAsync('d2.verge.local/a.jpg'));
      assert.equal(s.invalidate({ distributionId: 'D1', paths: ['/img/*'] }), 2);
      assert.equal(await s.getAsync('d1.verge.local/img/2.png'), undefined);
      assert.equal(s.invalidate({ distributionId: 'D1', paths: ['/*'] }), 2);
      assert.equal(s.stats().entries, 1);
      assert.ok(await s.getAsync('d2.verge.local/a.jpg'));
    });

    test('invalidate by tag', async () => {
      const s = await make({ maxBytes: 1 << 20 });
      s.set(makeEntry('/p1', { tags: ['post', 'p1'] }));
      s.set(makeEntry('/p2', { tags: ['post', 'p2'] }));
      s.set(makeEntry('/xx', { tags: ['home'] }));
      assert.equal(s.invalidate({ distributionId: 'D1', tags: ['p2'] }), 1);
      assert.equal(s.invalidate({ distributionId: 'D1', tags: ['post', 'nothing'] }), 1);
      assert.equal(await s.getAsync('d1.verge.local/p1'), undefined);
      assert.ok(await s.getAsync('d1.verge.local/xx'));
    });

    test('the byte budget holds and the least recently used entry goes first', async () => {
      const s = await make({ maxBytes: Math.floor(unit * 3.5) });
      for (const p of ['/a', '/b', '/c']) s.set(makeEntry(p));
      assert.ok(await s.getAsync('d1.verge.local/a'));
      s.set(makeEntry('/d'));
      assert.ok(s.stats().bytes <= s.stats().maxBytes);
      assert.ok(await s.getAsync('d1.verge.local/a'), 'recently read entry survives');
      assert.equal(await s.getAsync('d1.verge.local/b'), undefined, 'least recently used entry is evicted');
      assert.ok(await s.getAsync('d1.verge.local/d'));
      for (const p of ['/e', '/f', '/g', '/h']) s.set(makeEntry(p));
      assert.ok(s.stats().bytes <= s.stats().maxBytes);
      assert.ok(s.stats().evictions >= 1);
      assert.ok(await s.getAsync('d1.verge.local/h'));
    });

    test('an entry above the per-entry cap is not stored and drops the older copy', async () => {
      const s = await make({ maxBytes: 1 << 20, maxEntryBytes: unit * 2 });
      s.set(makeEntry('/big', { etag: '"small"' }));
      s.set(makeEntry('/big', {}, unit * 3));
      assert.equal(await s.getAsync('d1.verge.local/big'), undefined);
      assert.equal(s.stats().entries, 0);
    });

    streamContract(make);
  });
}
