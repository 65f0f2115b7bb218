/**
 * @module edge/body/chunk-stores.test
 * File positions past 2^31 and 2^32 (issue 12: objects up to 20 GiB on the disk tier), on sparse
 * files so no test writes gigabytes: FileChunks writes and reads there, `fileBody` serves a
 * range across 2^32 (also behind a header offset) and refuses a file whose size is the expected
 * one cut to 32 bits, and a GrowingBody reader follows a file another process writes past 4 GiB.
 * A position truncated to 32 bits anywhere reads the bytes of the file's first 4 GiB instead.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileChunks, GrowingBody, fileBody } from './index.js';

const TWO_31 = 2 ** 31;
const TWO_32 = 2 ** 32;
const dir = mkdtempSync(join(tmpdir(), 'verge-chunks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

/** Eight bytes no other place of a sparse file (zeros) has. */
const marker = (tag: number) => Buffer.from([0xa0 + tag, 1, 2, 3, 4, 5, 6, 0xb0 + tag]);

/**
 * A sparse file of `size` bytes with a marker at each position; returns its path. Written with
 * explicit positions (pwrite), so the file itself does not depend on the code under test.
 */
function sparseFile(name: string, size: number, marks: Array<[pos: number, tag: number]>): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
    for (const [pos, tag] of marks) writeSync(fd, marker(tag), 0, 8, pos);
  } finally {
    closeSync(fd);
  }
  return path;
}

describe('FileChunks past 4 GiB', () => {
  test('writes land at their 64-bit positions and read back from there, in the writer and a reader', async () => {
    const path = join(dir, 'chunks');
    const w = FileChunks.create(path);
    await w.ready();
    await w.write(TWO_31 - 4, marker(1));
    await w.write(TWO_32 - 4, marker(2));
    await w.write(TWO_32 + 1000, marker(3));
    // The file ends where the last write ended: a position cut to 32 bits would leave it at ~1 KB.
    assert.equal(statSync(path).size, TWO_32 + 1008);
    for (const c of [w, FileChunks.attach(path)]) {
      assert.deepEqual(await c.read(TWO_31 - 4, 8), marker(1));
      assert.deepEqual(await c.read(TWO_32 - 4, 8), marker(2));
      assert.deepEqual(await c.read(TWO_32 + 1000, 8), marker(3));
      assert.deepEqual(await c.read(TWO_32, 4), marker(2).subarray(4));
      c.release();
    }
  });
});

describe('fileBody past 4 GiB', () => {
  const size = TWO_32 + 1007;
  const path = sparseFile('body', size, [
    [TWO_31 - 4, 1],
    [TWO_32 - 4, 2],
    [size - 8, 3],
  ]);

  test('ranges across 2^31 and 2^32 and at the end are the bytes at those positions', async () => {
    const src = fileBody(path, size);
    assert.equal(src.length, size);
    assert.deepEqual(await collect(src.handle().open(TWO_31 - 4, TWO_31 + 3)), marker(1));
    assert.deepEqual(await collect(src.handle().open(TWO_32 - 4, TWO_32 + 3)), marker(2));
    assert.deepEqual(await collect(src.handle().open(size - 8)), marker(3));
    assert.deepEqual(await collect(src.handle().open(size - 3, size + 100)), marker(3).subarray(5));
  });

  test('behind a header offset, positions are offset + position', async () => {
    const src = fileBody(path, size - 100, 100);
    assert.deepEqual(await collect(src.handle().open(TWO_32 - 104, TWO_32 - 97)), marker(2));
    assert.deepEqual(await collect(src.handle().open(size - 108)), marker(3));
  });

  test('a file whose size is the expected length cut to 32 bits is refused before the first byte', async () => {
    const short = sparseFile('short', size % TWO_32, []);
    await assert.rejects(collect(fileBody(short, size).handle().open()), /1007 bytes on disk, 4294968303 expected/);
    await assert.rejects(
      collect(
        fileBody(path, size % TWO_32)
          .handle()
          .open(),
      ),
      /bytes on disk, 1007 expected/,
    );
  });
});

describe('GrowingBody past 4 GiB', () => {
  test('a reader follows a file another process writes, from a position past 2^32', async () => {
    const path = sparseFile('growing', TWO_32 + 8, [[TWO_32 - 4, 4]]);
    const g = new GrowingBody(FileChunks.attach(path), TWO_32 + 16);
    const r = g.handle().open(TWO_32 - 4, TWO_32 + 11);
    const got = collect(r);
    g.advance(TWO_32 + 8);
    // The other writer appends the last 8 bytes and says so.
    const fd = openSync(path, 'r+');
    writeSync(fd, marker(5), 0, 8, TWO_32 + 8);
    closeSync(fd);
    g.advance(TWO_32 + 16);
    g.finish();
    assert.deepEqual(await got, Buffer.concat([marker(4), Buffer.alloc(4), marker(5).subarray(0, 4)]));
    assert.equal(g.length, TWO_32 + 16);
  });
});
