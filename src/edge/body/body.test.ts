/**
 * @module edge/body/body.test
 * Growing bodies and one-shot bodies: windowed mode keeps memory bounded by the slowest reader
 * and stops the writer when nobody reads; claims are released by open or discard; a one-shot
 * body opens once; ranges of a non-seekable stream stop the source; readBody caps.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { GrowingBody, MemoryChunks, NoReadersError, readBody, sliceStream, streamBody } from './index.js';

async function collect(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

const chunk = (i: number, n = 64 * 1024) => Buffer.alloc(n, i & 0xff);

describe('GrowingBody', () => {
  test('windowed: memory held stays near the window while a slow reader lags; all bytes arrive', async () => {
    const chunks = new MemoryChunks();
    const g = new GrowingBody(chunks, null);
    const h = g.handle();
    const reader = h.open();
    g.stream(256 * 1024);
    let peak = 0;
    const writing = (async () => {
      for (let i = 0; i < 64; i++) {
        await g.append(chunk(i));
        peak = Math.max(peak, chunks.held);
      }
      g.finish();
    })();
    let got = 0;
    for await (const c of reader) {
      got += (c as Buffer).length;
      await new Promise((r) => setImmediate(r)); // a slow reader
    }
    await writing;
    assert.equal(got, 64 * 64 * 1024);
    assert.ok(peak <= 256 * 1024 + 2 * 64 * 1024, `held at most window + a chunk or two, saw ${peak}`);
  });

  test('windowed: when every reader has gone, the writer is refused', async () => {
    const g = new GrowingBody(new MemoryChunks(), null);
    const r = g.handle().open();
    g.stream(64 * 1024);
    await g.append(chunk(1));
    r.destroy();
    await assert.rejects(
      (async () => {
        for (let i = 0; i < 10; i++) await g.append(chunk(i));
      })(),
      NoReadersError,
    );
  });

  test('a claim that is discarded releases the body; one that is opened twice fails', async () => {
    let released = 0;
    const g = new GrowingBody(new MemoryChunks(), 3, () => released++);
    const a = g.handle();
    const b = g.handle();
    await g.append(Buffer.from('abc'));
    g.finish();
    assert.equal(released, 0, 'two claims outstanding');
    a.discard();
    assert.deepEqual(await collect(b.open()), Buffer.from('abc'));
    assert.equal(released, 1);
    await assert.rejects(collect(b.open()), /already opened/);
    assert.equal(g.users, 0);
  });

  test('a reader past the end of a body of unknown length ends empty; a failed body errors its readers', async () => {
    const g = new GrowingBody(new MemoryChunks(), null);
    const past = collect(g.handle().open(10, 20));
    await g.append(Buffer.from('short'));
    g.finish();
    assert.equal((await past).length, 0);
    const f = new GrowingBody(new MemoryChunks(), 100);
    const r = collect(f.handle().open());
    await f.append(Buffer.from('partial'));
    f.fail(new Error('origin died'));
    await assert.rejects(r, /origin died/);
  });
});

describe('one-shot bodies', () => {
  test('a range of a stream that cannot seek drops the bytes before it and stops the source after it', async () => {
    let pulled = 0;
    const src = new Readable({
      read() {
        pulled++;
        this.push(pulled > 1000 ? null : Buffer.alloc(1000, pulled & 0xff));
      },
    });
    const got = await collect(sliceStream(src, 1500, 2499));
    assert.equal(got.length, 1000);
    assert.equal(got[0], 2);
    assert.equal(got[999], 3);
    assert.ok(pulled < 20, `the source stopped early (pulled ${pulled} chunks)`);
    assert.ok(src.destroyed);
  });

  test('opens once; discard destroys the source', async () => {
    const src = new PassThrough();
    const b = streamBody(src, null);
    b.discard();
    assert.ok(src.destroyed);
    await assert.rejects(collect(b.open()), /already opened/);
  });

  test('readBody caps the bytes it buffers', async () => {
    const src = Readable.from([Buffer.alloc(600), Buffer.alloc(600)]);
    await assert.rejects(readBody(streamBody(src, null), 1000), /exceeds 1000 bytes/);
    assert.equal((await readBody(streamBody(Readable.from([Buffer.alloc(600)]), null), 1000)).length, 600);
  });
});
