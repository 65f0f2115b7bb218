/**
 * @module edge/cache/disk-store.test
 * What only the disk tier promises: write-behind, restart survival with recency kept in mtimes,
 * integrity checks (corrupt or truncated files become misses and are deleted), ordered deletes,
 * and the tiered store's demotion and warm restart.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskStore } from './disk-store.js';
import { TieredStore } from './tiered-store.js';
import { fileNameFor } from './disk-format.js';
import { makeEntry } from './store-contract.js';

const root = mkdtempSync(join(tmpdir(), 'verge-disk-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);
const fileOf = (dir: string, key: string) => {
  const f = fileNameFor(key);
  return join(dir, f.dir, f.name);
};

describe('DiskStore', () => {
  test('set returns at once; the file appears only after the background write', async () => {
    const dir = freshDir();
    const s = await DiskStore.open({ dir, maxBytes: 1 << 20 });
    const e = makeEntry('/a');
    s.set(e);
    assert.equal(existsSync(fileOf(dir, e.key)), false);
    assert.deepEqual(s.get(e.key), e, 'a queued entry is readable synchronously');
    await s.flush();
    assert.equal(existsSync(fileOf(dir, e.key)), true);
    await s.close();
  });

  test('entries survive a restart', async () => {
    const dir = freshDir();
    const a = makeEntry('/a', { tags: ['t'] });
    const s1 = await DiskStore.open({ dir, maxBytes: 1 << 20 });
    s1.set(a);
    s1.set(makeEntry('/b'));
    await s1.close();
    const s2 = await DiskStore.open({ dir, maxBytes: 1 << 20 });
    assert.equal(s2.stats().entries, 2);
    assert.deepEqual(await s2.getAsync(a.key), a);
    assert.equal(s2.invalidate({ distributionId: 'D1', tags: ['t'] }), 1, 'the rebuilt index knows tags');
    await s2.close();
  });

  test('recency survives a restart through mtimes: a smaller budget evicts the oldest', async () => {
    const dir = freshDir();
    const s1 = await DiskStore.open({ dir, maxBytes: 1 << 20 });
    const es = ['/a', '/b', '/c'].map((p) => makeEntry(p));
    for (const e of es) s1.set(e);
    await s1.close();
    const base = Date.now() / 1000;
    utimesSync(fileOf(dir, es[0]!.key), base, base); // a: most recent
    utimesSync(fileOf(dir, es[1]!.key), base - 100, base - 100); // b: oldest
    utimesSync(fileOf(dir, es[2]!.key), base - 50, base - 50);
    const s2 = await DiskStore.open({ dir, maxBytes: Math.floor(es[0]!.size * 2.5) });
    assert.equal(s2.stats().entries, 2);
    assert.equal(await s2.getAsync(es[1]!.key), undefined);
    assert.ok(await s2.getAsync(es[0]!.key));
    await s2.flush();
    assert.equal(existsSync(fileOf(dir, es[1]!.key)), false, 'the evicted file is deleted');
    await s2.close();
  });

  test('a corrupted body is a miss and the file is deleted', async () => {
    const dir = freshDir();
    const s = await DiskStore.open({ dir, maxBytes: 1 << 20 });
    const e = makeEntry('/a');
    s.set(e);
    await s.flush();
    const file = fileOf(dir, e.key);
    const bytes = readFileSync(file);
    bytes.writeUInt8(bytes[bytes.length - 1]! ^ 0xff, bytes.length - 1);
    writeFileSync(file, bytes);
    assert.equal(await s.getAsync(e.key), undefined);
    await s.flush();
    assert.equal(existsSync(file), false);
    assert.equal(s.stats().entries, 0);
    await s.close();
  });

  test('a truncated file is a miss now and is dropped by the next scan', async () => {
    const dir = freshDir();
    const s1 = await DiskStore.open({ dir, maxBytes: 1 << 20 });
    const a = makeEntry('/a');
    const b = makeEntry('/b');
    s1.set(a);
    s1.set(b);
    await s1.flush();
    truncateSync(fileOf(dir, a.key), 20);
    assert.equal(await s1.getAsync(a.key), undefined);
    await s1.close();
    truncateSync(fileOf(dir, b.key), 40);
    const s2 = await DiskStore.open({ dir, maxBytes: 1 << 20 });
    assert.equal(s2.stats().entries, 0);
    assert.equal(existsSync(fileOf(dir, b.key)), false);
    await s2.close();
  });

  test('leftover temp files and foreign files are removed on open', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'ab'), { recursive: true });
    writeFileSync(join(dir, 'ab', 'abcd.tmp-1'), 'partial');
    writeFileSync(join(dir, 'ab', 'junk'), 'not a cache file');
    const s = await DiskStore.open({ dir, maxBytes: 1 << 20 });
    assert.equal(s.stats().entries, 0);
    assert.equal(existsSync(join(dir, 'ab', 'abcd.tmp-1')), false);
    assert.equal(existsSync(join(dir, 'ab', 'junk')), false);
    await s.close();
  });

  test('writes and deletes for one key apply in order', async () => {
    const dir = freshDir();
    const s = await DiskStore.open({ dir, maxBytes: 1 << 20 });
    const key = makeEntry('/a').key;
    s.set(makeEntry('/a', { etag: '"v1"' }));
    s.delete(key);
    await s.flush();
    assert.equal(existsSync(fileOf(dir, key)), false);
    s.set(makeEntry('/a', { etag: '"v2"' }));
    await s.flush();
    s.delete(key);
    s.set(makeEntry('/a', { etag: '"v3"' }));
    await s.close();
    const s2 = await DiskStore.open({ dir, maxBytes: 1 << 20 });
    assert.equal((await s2.getAsync(key))?.etag, '"v3"');
    await s2.close();
  });
});

describe('TieredStore', () => {
  test('memory evictions go to disk and come back promoted', async () => {
    const unit = makeEntry('/a').size;
    const disk = await DiskStore.open({ dir: freshDir(), maxBytes: 1 << 20 });
    const t = new TieredStore({ memoryBytes: Math.floor(unit * 1.5), disk });
    const a = makeEntry('/a');
    t.set(a);
    t.set(makeEntry('/b'));
    assert.equal(t.get(a.key), undefined, 'pushed out of memory');
    assert.equal(disk.stats().entries, 1);
    assert.deepEqual(await t.getAsync(a.key), a);
    assert.deepEqual(t.get(a.key), a, 'promoted back into memory');
    await t.close();
  });

  test('close persists memory-only entries; a new tiered store starts warm', async () => {
    const dir = freshDir();
    const t1 = new TieredStore({ memoryBytes: 1 << 20, disk: await DiskStore.open({ dir, maxBytes: 1 << 20 }) });
    const a = makeEntry('/a');
    t1.set(a);
    await t1.close();
    const t2 = new TieredStore({ memoryBytes: 1 << 20, disk: await DiskStore.open({ dir, maxBytes: 1 << 20 }) });
    assert.deepEqual(await t2.getAsync(a.key), a);
    await t2.close();
  });

  test('a newer set drops the outdated disk copy; write-through keeps both tiers', async () => {
    const dir = freshDir();
    const disk = await DiskStore.open({ dir, maxBytes: 1 << 20 });
    const wt = new TieredStore({ memoryBytes: 1 << 20, disk, mode: 'write-through' });
    wt.set(makeEntry('/a', { etag: '"v1"' }));
    await disk.flush();
    assert.equal(disk.stats().entries, 1);
    const ev = new TieredStore({ memoryBytes: 1 << 20, disk });
    ev.set(makeEntry('/a', { etag: '"v2"', storedAt: Date.UTC(2026, 0, 2) }));
    assert.equal(disk.stats().entries, 0, 'the v1 copy on disk is outdated');
    await ev.close();
  });
});
