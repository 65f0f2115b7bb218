/**
 * @module edge/cache/disk-store-shared.test
 * A disk tier shared by processes (`verge edge --workers N`): a store finds what another store
 * on the same folder wrote, follows a replacement instead of deleting it as damaged, and opens
 * without sweeping another writer's files; a dead writer's interrupted body file is removed,
 * a committed one is not. Two DiskStore instances on one folder stand for two
 * workers (the index is per instance, as it is per process).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskStore } from './disk-store.js';
import { TieredStore } from './tiered-store.js';
import { fileNameFor } from './disk-format.js';
import { removeInterruptedBody } from './disk-scan.js';
import { makeEntry } from './store-contract.js';
import { metaFor, pattern, readStored } from './store-contract-stream.js';

const root = mkdtempSync(join(tmpdir(), 'verge-disk-shared-'));
after(() => rmSync(root, { recursive: true, force: true }));

const pair = async (dir: string, shared: boolean) => [
  await DiskStore.open({ dir, maxBytes: 1 << 20, shared }),
  await DiskStore.open({ dir, maxBytes: 1 << 20, shared }),
];

test('a shared store finds an object another store on the folder wrote, and follows its replacement', async () => {
  const [a, b] = await pair(join(root, 'shared'), true);
  const first = makeEntry('/x', {}, 100);
  a!.set(first);
  await a!.flush();
  assert.deepEqual((await b!.getAsync(first.key))?.body, first.body);
  const second = makeEntry('/x', { storedAt: first.storedAt + 1000, etag: '"e2"' }, 300);
  a!.set(second);
  await a!.flush();
  const seen = await b!.getAsync(first.key);
  assert.equal(seen?.etag, '"e2"');
  assert.equal((seen?.body as Buffer).length, 300);
  // Nothing was deleted as damaged along the way: a still serves its object.
  assert.equal((await a!.getAsync(first.key))?.etag, '"e2"');
});

test('a streamed object replaced by another store is read again, not deleted as damaged', async () => {
  const [a, b] = await pair(join(root, 'streamed'), true);
  const put = async (etag: string, n: number) => {
    const w = a!.openWrite(metaFor('/s', { etag }), n);
    if ('refused' in w) throw new Error(w.refused);
    await w.write(pattern(n));
    await w.end();
    await a!.flush();
  };
  await put('"s1"', 5000);
  assert.equal((await b!.getAsync(metaFor('/s').key))?.etag, '"s1"');
  await put('"s2"', 7000);
  const seen = await b!.getAsync(metaFor('/s').key);
  assert.equal(seen?.etag, '"s2"');
  assert.deepEqual(await readStored(seen!.body), pattern(7000));
  assert.equal((await a!.getAsync(metaFor('/s').key))?.etag, '"s2"', 'the writer still has it');
});

test('write-through: a small streamed object committed in memory reaches the shared disk', async () => {
  const dir = join(root, 'through');
  const t = new TieredStore({
    memoryBytes: 1 << 20,
    disk: await DiskStore.open({ dir, maxBytes: 1 << 20, shared: true }),
    mode: 'write-through',
  });
  const other = await DiskStore.open({ dir, maxBytes: 1 << 20, shared: true });
  const w = t.openWrite(metaFor('/t'), 11);
  if ('refused' in w) throw new Error(w.refused);
  await w.write(pattern(11));
  await w.end();
  await t.flush();
  const seen = await other.getAsync(metaFor('/t').key);
  assert.deepEqual(seen && (await readStored(seen.body)), pattern(11));
});

test('an unshared store does not look outside its index', async () => {
  const [a, b] = await pair(join(root, 'alone'), false);
  const e = makeEntry('/y');
  a!.set(e);
  await a!.flush();
  assert.equal(await b!.getAsync(e.key), undefined);
});

test('opening a shared store sweeps nothing (another worker may be writing)', async () => {
  const dir = join(root, 'sweep');
  const [a] = await pair(dir, true);
  const e = makeEntry('/z');
  a!.set(e);
  await a!.flush();
  const f = fileNameFor(e.key);
  // A body file no meta file names yet: another worker's write in progress.
  const partial = join(dir, f.dir, `${f.name}.0123456789ab`);
  writeFileSync(partial, 'half a body');
  await DiskStore.open({ dir, maxBytes: 1 << 20, shared: true });
  assert.equal(existsSync(partial), true);
  await DiskStore.open({ dir, maxBytes: 1 << 20 });
  assert.equal(existsSync(partial), false, 'an unshared open sweeps it');
});

test("a worker's interrupted body file is removed when it exits; a committed one and other files are not", async () => {
  const dir = join(root, 'interrupted');
  const [a] = await pair(dir, true);
  const w = a!.openWrite(metaFor('/done'), 5000);
  if ('refused' in w) throw new Error(w.refused);
  await w.write(pattern(5000));
  await w.end();
  await a!.flush();
  const committed = (await a!.getAsync(w.entry.key))!.body as { path?: string };
  assert.ok(committed.path !== undefined && existsSync(committed.path));
  assert.equal(await removeInterruptedBody(committed.path), false, 'its meta file names it');
  assert.equal(existsSync(committed.path), true);
  // A newer version of the same object, cut off: its meta file names the committed one.
  const f = fileNameFor(w.entry.key);
  const partial = join(dir, f.dir, `${f.name}.0123456789ab`);
  writeFileSync(partial, 'half a body');
  assert.equal(await removeInterruptedBody(partial), true);
  assert.equal(existsSync(partial), false);
  const other = join(dir, f.dir, 'not-a-body');
  writeFileSync(other, 'x');
  assert.equal(await removeInterruptedBody(other), false);
  assert.equal(existsSync(other), true, 'only files named like body files are removed');
});
