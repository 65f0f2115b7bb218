/**
 * @module edge/cache/disk-sizes.test
 * The disk tier's sizes past 2^32 (issue 12: objects up to 20 GiB), without writing gigabytes:
 * body files are sparse. The meta format keeps a 20 GiB length exactly and takes a length or
 * size that JSON cannot keep exactly (or a negative one) for damage; the scan on open indexes
 * an object past 4 GiB, counts its bytes and serves its last bytes, and drops one whose body file
 * is the recorded length cut to 32 bits; the budget, the per-object limit and the free-cache
 * refusal compare and add sizes past 2^32 (a refused object is streamed through by the caller).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'; // prettier-ignore
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskStore } from './disk-store.js';
import { bodyFileNameFor, decodeMeta, encodeMeta, fileNameFor } from './disk-format.js';
import { makeEntry } from './store-contract.js';
import { metaFor, readStored } from './store-contract-stream.js';

const GiB = 2 ** 30;
const TWO_32 = 2 ** 32;
const root = mkdtempSync(join(tmpdir(), 'verge-disk-sizes-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);
const TAIL = Buffer.from('the last eight bytes!'.slice(-8));

/**
 * What the disk tier leaves for a streamed object of `length` bytes (a meta file naming a body
 * file), with a sparse body file of `fileSize` bytes ending in TAIL. Returns the body file's path.
 */
function plantObject(dir: string, path: string, length: number, fileSize = length): string {
  const entry = makeEntry(path, {}, 0);
  const { dir: sub, name } = fileNameFor(entry.key);
  mkdirSync(join(dir, sub), { recursive: true });
  const bodyName = bodyFileNameFor(name);
  const meta = encodeMeta({ ...entry, size: entry.size + length }, null, bodyName, length);
  writeFileSync(join(dir, sub, name), Buffer.concat(meta));
  const body = join(dir, sub, bodyName);
  const fd = openSync(body, 'w');
  ftruncateSync(fd, fileSize);
  writeSync(fd, TAIL, 0, TAIL.length, fileSize - TAIL.length);
  closeSync(fd);
  return body;
}

describe('disk tier sizes past 2^32', () => {
  test('a meta file keeps a 20 GiB length and size exactly', () => {
    const length = 20 * GiB + 7;
    const entry = makeEntry('/big', {}, 0);
    const file = Buffer.concat(encodeMeta({ ...entry, size: entry.size + length }, null, 'a'.repeat(64) + '.0123456789ab', length)); // prettier-ignore
    const d = decodeMeta(file, entry.key);
    assert.ok(d && 'bodyFile' in d);
    assert.equal(d.bodyLength, length);
    assert.equal(d.entry.size, entry.size + length);
  });

  test('a length or size that is negative, fractional or past 2^53 marks a damaged meta file', () => {
    const entry = makeEntry('/odd', {}, 0);
    const name = 'a'.repeat(64) + '.0123456789ab';
    const meta = (size: number, length: number) => Buffer.concat(encodeMeta({ ...entry, size }, null, name, length));
    assert.ok(decodeMeta(meta(2 ** 53 - 1, 2 ** 53 - 1 - entry.size), entry.key));
    for (const [size, length] of [
      [-1, 10],
      [entry.size, -1],
      [entry.size, 1.5],
      [entry.size + 2 ** 53, 2 ** 53],
    ] as const)
      assert.equal(decodeMeta(meta(size, length), entry.key), undefined, `size ${size}, length ${length}`);
  });

  test('the scan indexes an object past 4 GiB, counts its bytes and serves its last bytes', async () => {
    const dir = freshDir();
    const length = TWO_32 + 7;
    plantObject(dir, '/past-4g', length);
    const s = await DiskStore.open({ dir, maxBytes: 6 * GiB });
    const st = s.stats();
    assert.equal(st.entries, 1);
    assert.equal(st.bytes, metaFor('/past-4g').size + length);
    const e = await s.getAsync(metaFor('/past-4g').key);
    assert.ok(e, 'the object was not found after the scan');
    assert.equal(e.body.length, length);
    assert.deepEqual(await readStored(e.body, length - TAIL.length), TAIL);
    await s.close();
  });

  test('a body file whose size is the recorded length cut to 32 bits is dropped by the scan', async () => {
    const dir = freshDir();
    const body = plantObject(dir, '/cut', TWO_32 + 4096, 4096);
    const s = await DiskStore.open({ dir, maxBytes: 6 * GiB });
    assert.equal(s.stats().entries, 0);
    assert.equal(s.stats().bytes, 0);
    await s.close();
    assert.equal(existsSync(body), false, 'the short body file was left behind');
  });

  test('objects past 4 GiB are charged in full: the budget evicts the older one', async () => {
    const dir = freshDir();
    plantObject(dir, '/one', 5 * GiB);
    plantObject(dir, '/two', 5 * GiB + 1);
    // Both fit in 11 GiB; in 10 GiB only the newer one does (the scan's order is the files' age).
    const both = await DiskStore.open({ dir, maxBytes: 11 * GiB });
    assert.equal(both.stats().entries, 2);
    assert.equal(both.stats().bytes, metaFor('/one').size + metaFor('/two').size + 10 * GiB + 1);
    await both.close();
    const s = await DiskStore.open({ dir, maxBytes: 10 * GiB });
    assert.equal(s.stats().entries, 1);
    assert.equal(s.stats().evictions, 1);
    assert.ok(s.stats().bytes > 5 * GiB && s.stats().bytes <= 10 * GiB);
    await s.close();
  });

  test('the per-object limit and the free cache are compared past 2^32; a refusal says why', async () => {
    const s = await DiskStore.open({ dir: freshDir(), maxBytes: 8 * GiB, maxEntryBytes: 6 * GiB, reserveBytes: 0 });
    const over = s.openWrite(metaFor('/over'), 6 * GiB + 1);
    assert.ok('refused' in over, 'the object over the limit was not refused');
    assert.match(over.refused, /^6442450945 bytes exceed the cache's per-object limit of 6442450944$/);
    // The length announced is charged while it is written: a second object no longer fits.
    const big = s.openWrite(metaFor('/big'), TWO_32 + 7);
    if ('refused' in big) {
      // Only a disk with less than 4 GiB free refuses this; say so rather than fail obscurely.
      assert.match(big.refused, /free disk space/);
      return void (await s.close());
    }
    assert.equal(s.stats().bytes, metaFor('/big').size + TWO_32 + 7);
    const beside = s.openWrite(metaFor('/beside'), 4 * GiB);
    assert.ok('refused' in beside, 'the second object was not refused');
    const free = 8 * GiB - metaFor('/big').size - (TWO_32 + 7);
    assert.equal(beside.refused, `${4 * GiB} bytes exceed the free cache (${free} of ${8 * GiB} bytes)`);
    big.abort(new Error('test over'));
    const later = s.openWrite(metaFor('/beside'), 4 * GiB);
    assert.ok(!('refused' in later), 'the object fits once the big one is gone');
    later.abort(new Error('test over'));
    await s.close();
  });
});
