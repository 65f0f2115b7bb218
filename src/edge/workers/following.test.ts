/**
 * @module edge/workers/following.test
 * Reading another worker's object as it is written: the leader announces it once its file
 * exists and reports growth one message at a time (latest value only); a follower's body reads
 * the file as progress arrives, ends whole on a complete end, and fails (never ends short) when
 * its leader stops early or announced more than it wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileChunks, GrowingBody } from '../body/index.js';
import type { CacheEntry } from '../cache/types.js';
import { Followed, announce, entryToWire, type Send } from './following.js';
import type { FollowMessage, ToPrimary } from './protocol.js';

const entry = (): CacheEntry => ({
  key: 'D1|GET|/big',
  distributionId: 'D1',
  status: 200,
  statusText: 'OK',
  headers: { 'content-type': [{ key: 'Content-Type', value: 'application/octet-stream' }] },
  body: Buffer.alloc(0),
  storedAt: 1,
  initialAgeSec: 0,
  ttlMs: 60_000,
  staleWhileRevalidateMs: 0,
  staleIfErrorMs: Infinity,
  tags: [],
  invalidationPath: '/big',
  vary: [],
  size: 100,
});

function tempFile(bytes: Buffer): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'verge-following-'));
  const path = join(dir, 'body');
  writeFileSync(path, bytes);
  return { path, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const follow = (path: string, length: number | null, written: number, stream = 1): FollowMessage => ({
  verge: 'follow',
  id: 1,
  stream,
  object: { entry: entryToWire(entry()), path, length },
  written,
});

/** Everything a reader yields, and its error if it failed. */
async function drain(r: Readable): Promise<{ bytes: Buffer; error: Error | null }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of r) chunks.push(c as Buffer);
    return { bytes: Buffer.concat(chunks), error: null };
  } catch (e) {
    return { bytes: Buffer.concat(chunks), error: e as Error };
  }
}

/** Waits (a bounded number of turns) until `ok()`. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
}

test('a follower reads only what progress says is written, then the whole object on a complete end', async () => {
  const all = Buffer.from('0123456789');
  const f = tempFile(all); // the file already holds every byte: only progress may let a reader see them
  const followed = new Followed();
  const e = await followed.open(follow(f.path, 10, 4));
  assert.ok(e);
  assert.equal(e.staleIfErrorMs, Infinity);
  assert.equal(e.body.length, 10);
  const reader = (e.body as GrowingBody).handle().open();
  const got: Buffer[] = [];
  reader.on('data', (c: Buffer) => got.push(c));
  await until(() => Buffer.concat(got).length >= 4);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(Buffer.concat(got).toString(), '0123');
  followed.progress([[1, 7]]);
  await until(() => Buffer.concat(got).length >= 7);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(Buffer.concat(got).toString(), '0123456');
  followed.end(1, { ok: true, written: 10 });
  await new Promise((r) => reader.on('end', r));
  assert.equal(Buffer.concat(got).toString(), '0123456789');
  assert.equal(followed.size, 0);
  f.done();
});

test('a follower whose leader stopped early fails its readers after the bytes that were there', async () => {
  const f = tempFile(Buffer.from('0123456789'));
  const followed = new Followed();
  const e = await followed.open(follow(f.path, 10, 3));
  const read = drain((e!.body as GrowingBody).handle().open());
  followed.end(1, { ok: false, written: 5 });
  const r = await read;
  // Bytes still buffered in the reader when it fails may be dropped: the viewer's connection is cut anyway.
  assert.ok('01234'.startsWith(r.bytes.toString()));
  assert.match(String(r.error?.message), /stopped after 5 bytes/);
  f.done();
});

test('a complete end shorter than the announced length is a failure, not a short body', async () => {
  const f = tempFile(Buffer.from('0123456789'));
  const followed = new Followed();
  const e = await followed.open(follow(f.path, 10, 0));
  const read = drain((e!.body as GrowingBody).handle().open());
  followed.end(1, { ok: true, written: 6 });
  const r = await read;
  assert.ok(r.error !== null, `ended after ${r.bytes.length} bytes with no error`);
  f.done();
});

test("a follower's body outlives its end for the viewers handed it in the same turn", async () => {
  const f = tempFile(Buffer.from('abc'));
  const followed = new Followed();
  const opening = followed.open(follow(f.path, null, 1));
  // The end may arrive before the file is open: the viewers must still read every byte.
  followed.end(1, { ok: true, written: 3 });
  const e = await opening;
  const r = await drain((e!.body as GrowingBody).handle().open());
  assert.equal(r.error, null);
  assert.equal(r.bytes.toString(), 'abc');
  f.done();
});

test('a file that is gone already is no object to follow', async () => {
  const followed = new Followed();
  assert.equal(await followed.open(follow('/nonexistent/verge/body', 10, 4)), null);
  assert.equal(followed.size, 0);
});

test('the leader announces once its file exists, then sends progress one at a time, latest value only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-announce-'));
  const body = new GrowingBody(FileChunks.create(join(dir, 'body')), null);
  const sent: Array<{ m: ToPrimary; done?: () => void }> = [];
  const send: Send = (m, done) => void sent.push({ m, ...(done ? { done } : {}) });
  const stop = announce(send, 7, 'k', entry(), body);
  assert.equal(sent.length, 0, 'nothing before the file exists');
  await body.append(Buffer.from('aa'));
  assert.deepEqual(
    sent.map((s) => s.m.verge),
    ['growing'],
  );
  const g = sent[0]!.m as Extract<ToPrimary, { verge: 'growing' }>;
  assert.equal(g.object.path, join(dir, 'body'));
  assert.equal(g.object.entry.staleIfErrorMs, null, 'Infinity crosses the channel as null');
  assert.equal(g.written, 2);
  assert.equal(body.users, 1, 'a claim stands for the followers elsewhere');
  await body.append(Buffer.from('bb'));
  await body.append(Buffer.from('cc'));
  await body.append(Buffer.from('dd'));
  assert.deepEqual(
    sent.map((s) => [s.m.verge, (s.m as { written?: number }).written]),
    [
      ['growing', 2],
      ['grown', 4],
    ],
    'one progress message in flight',
  );
  sent[1]!.done!();
  assert.deepEqual((sent[2]!.m as { written: number }).written, 8, 'then the latest value, not each one');
  stop();
  assert.equal(body.users, 0);
  await body.append(Buffer.from('ee'));
  sent[2]!.done!();
  assert.equal(sent.length, 3, 'nothing after stop');
  body.finish();
  rmSync(dir, { recursive: true, force: true });
});
