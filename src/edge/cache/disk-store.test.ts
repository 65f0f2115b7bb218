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
  readdirSync,
  statSync,
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
import { metaFor, pattern, readStored } from './store-contract-stream.js';
import { refreshEntry } from './storable.js';
import type { ObjectWriter } from './types.js';

function open(s: DiskStore | TieredStore, path: string, length: number | null): ObjectWriter {
  const w = s.openWrite(metaFor(path), length);
  if ('refused' in w) throw new Error(w.refused);
  return w;
}
const bodyFiles = (dir: string, key: string): string[] => {
  const f = fileNameFor(key);
  return readdirSync(join(dir, f.dir)).filter((n) => n.startsWith(f.name + '.'));
};

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

describe('DiskStore: streamed objects', () => {
  test('a streamed body lives in its own file, survives a restart and is read back whole', async () => {
    const dir = freshDir();
    const s1 = await DiskStore.open({ dir, maxBytes: 8 << 20 });
    const data = pattern(700_000);
    const w = open(s1, '/video', data.length);
    for (let i = 0; i < data.length; i += 100_000) await w.write(data.subarray(i, i + 100_000));
    await w.end();
    await s1.close();
    const [body] = bodyFiles(dir, w.entry.key);
    assert.ok(body, 'a body file next to the meta file');
    assert.equal(statSync(join(dir, fileNameFor(w.entry.key).dir, body)).size, data.length);
    assert.ok(statSync(fileOf(dir, w.entry.key)).size < 4096, 'the meta file holds no body');
    const s2 = await DiskStore.open({ dir, maxBytes: 8 << 20 });
    const e = await s2.getAsync(w.entry.key);
    assert.ok(e && !Buffer.isBuffer(e.body));
    assert.deepEqual(await readStored(e.body), data);
    await s2.close();
  });

  test('a restart removes an interrupted write and a meta file whose body is missing or short', async () => {
    const dir = freshDir();
    const s1 = await DiskStore.open({ dir, maxBytes: 8 << 20 });
    const a = open(s1, '/a', 1000);
    await a.write(pattern(1000));
    await a.end();
    const b = open(s1, '/b', 1000);
    await b.write(pattern(1000));
    await b.end();
    const interrupted = open(s1, '/c', 1000);
    await interrupted.write(pattern(500)); // never ended: a crash mid-fetch
    await s1.flush();
    const bDir = join(dir, fileNameFor(b.entry.key).dir);
    truncateSync(join(bDir, bodyFiles(dir, b.entry.key)[0]!), 10);
    assert.equal(bodyFiles(dir, interrupted.entry.key).length, 1);
    const s2 = await DiskStore.open({ dir, maxBytes: 8 << 20 });
    assert.equal(s2.stats().entries, 1);
    assert.deepEqual(await readStored((await s2.getAsync(a.entry.key))!.body), pattern(1000));
    assert.equal(bodyFiles(dir, interrupted.entry.key).length, 0, 'the unfinished body file is gone');
    assert.equal(existsSync(fileOf(dir, b.entry.key)), false, 'the entry with a short body is gone');
    await s2.close();
    interrupted.abort(new Error('test over'));
  });

  test('a 304 refresh rewrites the meta file only; the body file stays', async () => {
    const dir = freshDir();
    const s = await DiskStore.open({ dir, maxBytes: 8 << 20 });
    const w = open(s, '/r', 2000);
    await w.write(pattern(2000));
    await w.end();
    await s.flush();
    const [before] = bodyFiles(dir, w.entry.key);
    const ino = statSync(join(dir, fileNameFor(w.entry.key).dir, before!)).ino;
    const stored = (await s.getAsync(w.entry.key))!;
    const refreshed = refreshEntry(stored, { 'x-new': [{ key: 'X-New', value: '1' }] }, stored.storedAt + 5000);
    assert.equal(s.set(refreshed), true);
    await s.flush();
    assert.deepEqual(bodyFiles(dir, w.entry.key), [before]);
    assert.equal(statSync(join(dir, fileNameFor(w.entry.key).dir, before!)).ino, ino);
    const again = (await s.getAsync(w.entry.key))!;
    assert.equal(again.headers['x-new']?.[0]?.value, '1');
    assert.deepEqual(await readStored(again.body), pattern(2000));
    await s.close();
  });

  test('a replaced object keeps its bytes for a reader that has it; its file goes afterwards', async () => {
    const dir = freshDir();
    const s = await DiskStore.open({ dir, maxBytes: 8 << 20 });
    const v1 = open(s, '/v', 600_000);
    await v1.write(pattern(600_000, 1));
    await v1.end();
    const old = (await s.getAsync(v1.entry.key))!;
    const b = old.body;
    assert.ok(!Buffer.isBuffer(b));
    const reader = b.handle().open();
    const v2 = open(s, '/v', 10);
    await v2.write(pattern(10, 2));
    await v2.end();
    await s.flush();
    const chunks: Buffer[] = [];
    for await (const c of reader) chunks.push(c as Buffer);
    assert.deepEqual(Buffer.concat(chunks), pattern(600_000, 1));
    assert.equal(bodyFiles(dir, v1.entry.key).length, 1, 'only the new version remains');
    assert.deepEqual(await readStored((await s.getAsync(v1.entry.key))!.body), pattern(10, 2));
    await s.close();
  });

  test('objects being written count against the budget: one that cannot fit next to them is refused', async () => {
    const s = await DiskStore.open({ dir: freshDir(), maxBytes: 1_000_000 });
    const a = open(s, '/a', 700_000);
    const b = s.openWrite(metaFor('/b'), 400_000);
    assert.ok('refused' in b);
    assert.match(b.refused, /free cache/);
    a.abort(new Error('done'));
    assert.ok(!('refused' in s.openWrite(metaFor('/b'), 400_000)), 'fits once the other is gone');
    await s.close();
  });
});

describe('TieredStore', () => {
  test('a large streamed object goes to disk; memory keeps only its headers', async () => {
    const disk = await DiskStore.open({ dir: freshDir(), maxBytes: 8 << 20 });
    const t = new TieredStore({ memoryBytes: 1 << 20, memoryMaxEntryBytes: 100_000, disk });
    const small = open(t, '/small', 1000);
    await small.write(pattern(1000));
    await small.end();
    assert.ok(Buffer.isBuffer(t.get(small.entry.key)?.body), 'small: whole, in memory');
    const big = open(t, '/big', 500_000);
    for (let i = 0; i < 5; i++) await big.write(pattern(100_000, i));
    await big.end();
    assert.equal(t.get(big.entry.key), undefined, 'not in memory until read');
    const e = await t.getAsync(big.entry.key);
    assert.ok(e && !Buffer.isBuffer(e.body));
    const inMemory = t.memory.peek(big.entry.key);
    assert.ok(inMemory && inMemory.size < 10_000, 'memory holds the headers, not the body');
    assert.equal(t.stats().entries, 2);
    disk.delete(big.entry.key);
    assert.equal(t.memory.peek(big.entry.key), undefined, 'the memory copy goes with the disk object');
    await t.close();
  });

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
