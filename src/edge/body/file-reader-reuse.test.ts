/**
 * @module edge/body/file-reader-reuse.test
 * The reader of a complete file: the chunks a consumer gives back are refilled (a large hit
 * runs through a few buffers), the bytes are the file's whichever buffers carry them, and a
 * consumer that keeps its chunks, or gives back one that is not the reader's, is unaffected.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { READ_CHUNK, fileBody, recyclerOf } from './index.js';

function withFile(bytes: Buffer, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'verge-chunk-stores-'));
  const path = join(dir, 'body');
  writeFileSync(path, bytes);
  return fn(path).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe('fileBody reader', () => {
  const data = randomBytes(5 * READ_CHUNK + 1000);

  test('refills the chunks its consumer gives back; every byte is the file’s, the short last chunk too', () =>
    withFile(data, async (path) => {
      const r = fileBody(path, data.length).handle().open();
      const recycler = recyclerOf(r);
      assert.ok(recycler, 'a file reader takes chunks back');
      const copies: Buffer[] = [];
      const buffers = new Set<ArrayBufferLike>();
      let chunks = 0;
      for await (const c of r) {
        const chunk = c as Buffer;
        copies.push(Buffer.from(chunk));
        buffers.add(chunk.buffer);
        chunks++;
        recycler.recycle(chunk);
      }
      assert.deepEqual(Buffer.concat(copies), data);
      assert.equal(chunks, 6);
      assert.ok(buffers.size < chunks, `${buffers.size} buffers for ${chunks} chunks: none was reused`);
    }));

  test('a range read through recycled buffers is exactly the range', () =>
    withFile(data, async (path) => {
      const from = 1000;
      const to = 3 * READ_CHUNK + 10;
      const r = fileBody(path, data.length).handle().open(from, to);
      const recycler = recyclerOf(r)!;
      const copies: Buffer[] = [];
      for await (const c of r) {
        copies.push(Buffer.from(c as Buffer));
        recycler.recycle(c as Buffer);
      }
      assert.deepEqual(Buffer.concat(copies), data.subarray(from, to + 1));
    }));

  test('a consumer that keeps its chunks gets a buffer of its own for each', () =>
    withFile(data, async (path) => {
      const kept: Buffer[] = [];
      for await (const c of fileBody(path, data.length).handle().open()) kept.push(c as Buffer);
      assert.deepEqual(Buffer.concat(kept), data);
      assert.equal(new Set(kept.map((c) => c.buffer)).size, kept.length);
    }));

  test('a buffer that is not the reader’s own is not taken', () =>
    withFile(data, async (path) => {
      const r = fileBody(path, data.length).handle().open();
      const recycler = recyclerOf(r)!;
      const foreign = Buffer.alloc(READ_CHUNK);
      const copies: Buffer[] = [];
      for await (const c of r) {
        assert.notEqual((c as Buffer).buffer, foreign.buffer);
        copies.push(Buffer.from(c as Buffer));
        recycler.recycle(foreign);
      }
      assert.deepEqual(Buffer.concat(copies), data);
    }));
});
