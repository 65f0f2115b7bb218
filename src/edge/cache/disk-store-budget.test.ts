/**
 * @module edge/cache/disk-store-budget.test
 * An object of unknown length (no Content-Length) against the disk tier's budget: its bytes are
 * charged as they arrive, what may be evicted is evicted for it, and once it cannot fit it is let
 * go: its readers still get every byte (through a window in memory), its partial file is
 * removed, nothing is kept, the cache folder never holds more than the budget, and one log line
 * says why. An object deleted while written stops growing its file too. A write error on the
 * cache file is covered in disk-store-full.test.ts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { memoryLogger } from '../../shared/log.js';
import { bodyFor } from '../body/index.js';
import { DiskStore } from './disk-store.js';
import { makeEntry } from './store-contract.js';
import { metaFor, pattern } from './store-contract-stream.js';
import type { ObjectWriter } from './types.js';
import { dirBytes } from '../../../test/harness/dir-bytes.js';

const MiB = 1024 * 1024;
const root = mkdtempSync(join(tmpdir(), 'verge-disk-budget-'));
after(() => rmSync(root, { recursive: true, force: true }));

function open(s: DiskStore, path: string, length: number | null): ObjectWriter {
  const w = s.openWrite(metaFor(path), length);
  if ('refused' in w) throw new Error(w.refused);
  return w;
}

/** SHA-256 and length of what a reader delivers. */
async function hashOf(r: Readable): Promise<{ bytes: number; hash: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of r) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { bytes, hash: h.digest('hex') };
}

/** Write `data` in 64 KiB chunks, sampling the store's accounting and the folder after each. */
async function writeSampled(w: ObjectWriter, data: Buffer, sample: () => void): Promise<void> {
  for (let i = 0; i < data.length; i += 65_536) {
    await w.write(data.subarray(i, i + 65_536));
    sample();
  }
}

test('an object of unknown length past what the budget can hold streams through whole and is not kept', async () => {
  const dir = join(root, 'budget');
  const budget = 8 * MiB;
  const logger = memoryLogger();
  const s = await DiskStore.open({ dir, maxBytes: budget, reserveBytes: 0, logger });
  // Evictable: a stored object. Not evictable: one being written (5 MiB announced, 1 MiB in).
  const old = makeEntry('/old', { body: pattern(2 * MiB, 3), size: 2 * MiB });
  assert.equal(s.set(old), true);
  await s.flush();
  const held = open(s, '/held', 5 * MiB);
  const heldData = pattern(5 * MiB, 4);
  await held.write(heldData.subarray(0, MiB));

  const data = pattern(20 * MiB, 9);
  const w = open(s, '/chunked', null);
  const b = bodyFor(w.entry.body);
  assert.ok(!Buffer.isBuffer(b));
  const read = hashOf(b.open());
  let most = 0;
  let mostAccounted = 0;
  await writeSampled(w, data, () => {
    most = Math.max(most, dirBytes(dir));
    mostAccounted = Math.max(mostAccounted, s.stats().bytes);
  });
  await w.end();

  const got = await read;
  assert.deepEqual(got, { bytes: data.length, hash: createHash('sha256').update(data).digest('hex') });
  assert.match(w.detached ?? '', /bytes exceed the free cache \(\d+ of 8388608 bytes\)/);
  assert.ok(most <= budget, `the cache folder held ${most} bytes, over the ${budget}-byte budget`);
  assert.ok(mostAccounted <= budget, `the store counted ${mostAccounted} bytes, over the ${budget}-byte budget`);
  assert.equal(await s.getAsync(w.entry.key), undefined, 'not kept: the next request is a miss');
  assert.equal(await s.getAsync(old.key), undefined, 'the stored object was evicted to make room first');
  const why = logger.lines.filter((l) => l.msg === 'cache object not stored; streamed through');
  assert.equal(why.length, 1, 'one log line says why');
  assert.equal(why[0]!['key'], w.entry.key);
  assert.match(String(why[0]!['reason']), /exceed the free cache/);
  await s.flush();
  // Only the held object's file is left: the partial file went.
  assert.ok(dirBytes(dir) <= 5 * MiB, `${dirBytes(dir)} bytes left in the cache folder`);

  // The object being written all along was never evicted, and is kept.
  await held.write(heldData.subarray(MiB));
  await held.end();
  assert.equal(held.detached, null);
  const kept = await s.getAsync(held.entry.key);
  assert.ok(kept);
  await s.close();
});

test('an object of unknown length that fits after evicting is kept; the budget holds throughout', async () => {
  const dir = join(root, 'fits');
  const budget = 8 * MiB;
  const s = await DiskStore.open({ dir, maxBytes: budget, reserveBytes: 0 });
  for (let i = 0; i < 3; i++) s.set(makeEntry(`/old${i}`, { body: pattern(2 * MiB, i), size: 2 * MiB }));
  await s.flush();
  const data = pattern(6 * MiB, 12);
  const w = open(s, '/grows', null);
  let most = 0;
  await writeSampled(w, data, () => (most = Math.max(most, s.stats().bytes)));
  await w.end();
  assert.equal(w.detached, null);
  assert.ok(most <= budget, `the store counted ${most} bytes, over the ${budget}-byte budget`);
  const e = await s.getAsync(w.entry.key);
  assert.ok(e);
  const b = bodyFor(e.body);
  assert.ok(!Buffer.isBuffer(b));
  assert.equal((await hashOf(b.open())).hash, createHash('sha256').update(data).digest('hex'));
  assert.ok(s.stats().evictions >= 2, 'older objects made room');
  await s.close();
});

test('an object over the per-object limit stops writing its file at once; a slow reader still gets it all', async () => {
  const dir = join(root, 'limit');
  const s = await DiskStore.open({ dir, maxBytes: 64 * MiB, maxEntryBytes: 2 * MiB, reserveBytes: 0 });
  const data = pattern(12 * MiB, 21);
  const w = open(s, '/big', null);
  const b = bodyFor(w.entry.body);
  assert.ok(!Buffer.isBuffer(b));
  const r = b.open();
  let most = 0;
  // The writer is paced by the reader once it streams through (the window), so read as it goes.
  const read = hashOf(r);
  await writeSampled(w, data, () => (most = Math.max(most, dirBytes(dir))));
  await w.end();
  assert.equal((await read).hash, createHash('sha256').update(data).digest('hex'));
  assert.match(w.detached ?? '', /per-object limit of 2097152/);
  assert.ok(most <= 2 * MiB + 65_536, `the partial file grew to ${most} bytes past the limit`);
  await s.flush();
  assert.equal(dirBytes(dir), 0, 'the partial file was removed');
  await s.close();
});

test('an object deleted while it is written stops growing its file (one edge process); its reader gets it all', async () => {
  const dir = join(root, 'deleted');
  const s = await DiskStore.open({ dir, maxBytes: 64 * MiB, reserveBytes: 0 });
  const data = pattern(12 * MiB, 17);
  const w = open(s, '/deleted', null);
  const b = bodyFor(w.entry.body);
  assert.ok(!Buffer.isBuffer(b));
  const read = hashOf(b.open());
  await w.write(data.subarray(0, MiB));
  s.delete(w.entry.key);
  let most = 0;
  await writeSampled(w, data.subarray(MiB), () => (most = Math.max(most, dirBytes(dir))));
  await w.end();
  assert.equal((await read).hash, createHash('sha256').update(data).digest('hex'));
  assert.ok(most <= MiB + 65_536, `the removed object's file grew to ${most} bytes`);
  await s.flush();
  assert.equal(dirBytes(dir), 0);
  assert.equal(await s.getAsync(w.entry.key), undefined);
  await s.close();
});
