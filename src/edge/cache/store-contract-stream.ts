/**
 * @module edge/cache/store-contract-stream
 * The streaming half of the CacheStore contract (`openWrite`), run by `cacheStoreContract` for
 * every store: a streamed object is readable while it is written (from the start and from any
 * offset), whole after `end`; an abort, a short body, a delete or an invalidation while writing
 * keep nothing but let readers that have it finish or fail cleanly; objects above the per-object
 * cap are refused up front, or detached when an object of unknown length outgrows it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { bodyFor, type StoredBody } from '../body/index.js';
import type { CacheEntry, CacheStore, ObjectWriter } from './types.js';
import { makeEntry } from './store-contract.js';
import type { ContractStoreOptions } from './store-contract.js';

/** Deterministic bytes: position-dependent, so a misplaced chunk is caught. */
export function pattern(n: number, seed = 7): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed + (i >> 13)) & 0xff;
  return b;
}

/** An entry's metadata without its body (what openWrite takes). */
export function metaFor(path: string, over: Partial<CacheEntry> = {}): CacheEntry {
  return makeEntry(path, over, 0);
}

export async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function readStored(b: StoredBody, start?: number, end?: number): Promise<Buffer> {
  const body = bodyFor(b);
  if (Buffer.isBuffer(body)) return body.subarray(start ?? 0, end === undefined ? undefined : end + 1);
  return collect(body.open(start, end));
}

/** Resolves when `r` has delivered at least `n` bytes (without consuming the rest). */
function firstBytes(r: Readable, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      got.push(c);
      size += c.length;
      if (size >= n) {
        r.off('data', onData);
        r.pause();
        resolve(Buffer.concat(got));
      }
    };
    r.on('data', onData);
    r.once('error', reject);
  });
}

function writer(s: CacheStore, meta: CacheEntry, length: number | null): ObjectWriter {
  const w = s.openWrite(meta, length);
  if ('refused' in w) throw new Error(`refused: ${w.refused}`);
  return w;
}

async function writeAll(w: ObjectWriter, data: Buffer, chunk = 65_536): Promise<void> {
  for (let i = 0; i < data.length; i += chunk) await w.write(data.subarray(i, i + chunk));
}

export function streamContract(make: (o: ContractStoreOptions) => Promise<CacheStore>): void {
  const N = 300_000;

  test('stream: readable while written, from the start and from an offset; whole after end', async () => {
    const s = await make({ maxBytes: 4 << 20 });
    const data = pattern(N);
    const w = writer(s, metaFor('/big'), N);
    const busy = await s.getAsync(w.entry.key);
    assert.ok(busy && !Buffer.isBuffer(busy.body), 'the busy entry is in the store');
    const fromStart = bodyFor(busy.body);
    const range = bodyFor(busy.body);
    assert.ok(!Buffer.isBuffer(fromStart) && !Buffer.isBuffer(range));
    const r1 = fromStart.open();
    const r2 = range.open(200_000, 200_099);
    await w.write(data.subarray(0, 100_000));
    const early = await firstBytes(r1, 100_000);
    assert.deepEqual(early.subarray(0, 100_000), data.subarray(0, 100_000), 'bytes arrive before the end');
    const rangeDone = collect(r2);
    const rest = collect(r1);
    await writeAll(w, data.subarray(100_000));
    await w.end();
    assert.deepEqual(await rangeDone, data.subarray(200_000, 200_100));
    assert.deepEqual(Buffer.concat([early, await rest]), data);
    const stored = await s.getAsync(w.entry.key);
    assert.ok(stored);
    assert.equal(stored.body.length, N);
    assert.deepEqual(await readStored(stored.body), data);
    assert.deepEqual(await readStored(stored.body, 299_990, 299_999), data.subarray(299_990));
    assert.equal(s.stats().entries, 1);
    assert.ok(s.stats().bytes >= N);
  });

  test('stream: a reader that joins mid-write starts from byte 0; a reader that does not read never holds the writer', async () => {
    const s = await make({ maxBytes: 4 << 20 });
    const data = pattern(N, 9);
    const w = writer(s, metaFor('/join'), N);
    const idle = bodyFor(w.entry.body);
    assert.ok(!Buffer.isBuffer(idle));
    const stalled = idle.open(); // opened, never read until the writer is done
    await writeAll(w, data.subarray(0, 150_000));
    const busy = await s.getAsync(w.entry.key);
    assert.ok(busy && !Buffer.isBuffer(busy.body));
    const lateBody = bodyFor(busy.body);
    assert.ok(!Buffer.isBuffer(lateBody));
    const late = collect(lateBody.open());
    await writeAll(w, data.subarray(150_000));
    await w.end(); // resolves though one reader has taken nothing: the writer goes at its own pace
    assert.deepEqual(await late, data, 'a late reader gets the whole object from byte 0');
    assert.deepEqual(await collect(stalled), data);
    const stored = await s.getAsync(w.entry.key);
    assert.ok(stored);
    assert.deepEqual(await readStored(stored.body), data);
  });

  test('stream: unknown length is stored when it fits', async () => {
    const s = await make({ maxBytes: 4 << 20 });
    const data = pattern(N, 3);
    const w = writer(s, metaFor('/chunked'), null);
    await writeAll(w, data);
    await w.end();
    const e = await s.getAsync(w.entry.key);
    assert.ok(e);
    assert.deepEqual(await readStored(e.body), data);
  });

  test('stream: an abort keeps nothing and readers fail', async () => {
    const s = await make({ maxBytes: 4 << 20 });
    const w = writer(s, metaFor('/aborted'), N);
    const b = bodyFor(w.entry.body);
    assert.ok(!Buffer.isBuffer(b));
    const r = collect(b.open());
    await w.write(pattern(1000));
    w.abort(new Error('origin reset'));
    await assert.rejects(r, /origin reset/);
    assert.equal(await s.getAsync(w.entry.key), undefined);
    assert.equal(s.stats().entries, 0);
  });

  test('stream: a body shorter than announced is not stored', async () => {
    const s = await make({ maxBytes: 4 << 20 });
    const w = writer(s, metaFor('/short'), 5000);
    await w.write(pattern(3000));
    await assert.rejects(w.end(), /3000 of 5000/);
    assert.equal(await s.getAsync(w.entry.key), undefined);
  });

  test('stream: a delete or an invalidation while writing keeps nothing; readers still get every byte', async () => {
    const s = await make({ maxBytes: 4 << 20 });
    for (const remove of [
      (k: string) => s.delete(k),
      () => s.invalidate({ distributionId: 'D1', paths: ['/gone*'] }),
    ]) {
      const data = pattern(N, 11);
      const w = writer(s, metaFor('/gone'), N);
      const b = bodyFor(w.entry.body);
      assert.ok(!Buffer.isBuffer(b));
      const r = collect(b.open());
      await w.write(data.subarray(0, 1000));
      remove(w.entry.key);
      await writeAll(w, data.subarray(1000));
      await w.end();
      assert.deepEqual(await r, data);
      assert.ok(w.detached !== null);
      assert.equal(await s.getAsync(w.entry.key), undefined);
      assert.equal(s.stats().entries, 0);
    }
  });

  test('stream: an announced length above the per-object cap is refused', async () => {
    const s = await make({ maxBytes: 4 << 20, maxEntryBytes: 100_000 });
    const w = s.openWrite(metaFor('/huge'), 200_000);
    assert.ok('refused' in w, 'refused up front');
    assert.match(w.refused, /200000/);
    assert.equal(s.stats().entries, 0);
  });

  test('stream: unknown length past the cap is detached; its readers still get every byte', async () => {
    const s = await make({ maxBytes: 4 << 20, maxEntryBytes: 100_000 });
    const data = pattern(N, 5);
    const w = writer(s, metaFor('/grows'), null);
    const b = bodyFor(w.entry.body);
    assert.ok(!Buffer.isBuffer(b));
    const r = collect(b.open());
    await writeAll(w, data);
    await w.end();
    assert.deepEqual(await r, data);
    assert.match(w.detached ?? '', /limit/);
    assert.equal(await s.getAsync(w.entry.key), undefined);
  });

  test('stream: a whole set replaces a streamed object, and a streamed object replaces a set', async () => {
    const s = await make({ maxBytes: 4 << 20 });
    const w = writer(s, metaFor('/x'), 10);
    await w.write(pattern(10));
    await w.end();
    s.set(makeEntry('/x', { etag: '"whole"' }));
    assert.equal((await s.getAsync(w.entry.key))?.etag, '"whole"');
    const w2 = writer(s, metaFor('/x', { etag: '"streamed"' }), 10);
    await w2.write(pattern(10));
    await w2.end();
    const e = await s.getAsync(w.entry.key);
    assert.equal(e?.etag, '"streamed"');
    assert.deepEqual(await readStored(e!.body), pattern(10));
    assert.equal(s.stats().entries, 1);
  });
}
