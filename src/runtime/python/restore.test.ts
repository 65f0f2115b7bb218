/**
 * @module runtime/python/restore.test
 * The snapshot restore hook (guest/restore.mjs) on a synthetic snapshot: `sparse` copies only the
 * image's non-zero pages, `check` copies everything and reports whether sparse would have been
 * exact, `full` is Pyodide's own copy, and the hook leaves no trace on Int8Array afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hookRestore } from './guest/restore.mjs';

const PAGE = 4096;
const START = 128;

/** A Pyodide-shaped snapshot (header word 1 = where the image starts) of 4 pages: data, 0, data, 0. */
function snapshot(): Uint8Array {
  const snap = new Uint8Array(START + 4 * PAGE);
  new Uint32Array(snap.buffer, 0, 4).set([0x1234, START, 0, 0]);
  snap.fill(7, START, START + PAGE);
  snap.fill(9, START + 2 * PAGE, START + 3 * PAGE);
  return snap;
}

/** What restoreSnapshot does: HEAP8.set(the image). */
function restore(snap: Uint8Array, mem: Int8Array, mode: 'sparse' | 'check' | 'full'): boolean | undefined {
  const hook = hookRestore(snap, mode);
  let exact: boolean | undefined;
  try {
    mem.set(snap.subarray(START));
  } finally {
    exact = hook.done();
  }
  return exact;
}

const page = (mem: Int8Array, i: number) => [...new Uint8Array(mem.buffer, i * PAGE, PAGE)];
const filled = (v: number) => new Array<number>(PAGE).fill(v);

test('sparse copies the non-zero pages only', () => {
  const mem = new Int8Array(4 * PAGE);
  mem.fill(5, 3 * PAGE); // a page the image has as zeros, written before the restore
  assert.equal(restore(snapshot(), mem, 'sparse'), undefined);
  assert.deepEqual(page(mem, 0), filled(7));
  assert.deepEqual(page(mem, 1), filled(0));
  assert.deepEqual(page(mem, 2), filled(9));
  assert.deepEqual(page(mem, 3), filled(5), 'a zero page of the image is not written');
});

test('check copies everything and says whether sparse would have been exact', () => {
  const clean = new Int8Array(4 * PAGE);
  assert.equal(restore(snapshot(), clean, 'check'), true);
  const dirty = new Int8Array(4 * PAGE);
  dirty.fill(5, 3 * PAGE);
  assert.equal(restore(snapshot(), dirty, 'check'), false);
  assert.deepEqual(page(dirty, 3), filled(0));
  assert.deepEqual(page(dirty, 2), filled(9));
});

test('full is a plain copy, other sets are untouched, and the hook goes away', () => {
  const mem = new Int8Array(4 * PAGE);
  mem.fill(5, 3 * PAGE);
  assert.equal(restore(snapshot(), mem, 'full'), undefined);
  assert.deepEqual(page(mem, 3), filled(0));
  const hook = hookRestore(snapshot(), 'sparse');
  const other = new Int8Array(4);
  other.set([1, 0, 0, 2]);
  assert.deepEqual([...other], [1, 0, 0, 2]);
  hook.done();
  assert.equal(Object.hasOwn(Int8Array.prototype, 'set'), false);
});
