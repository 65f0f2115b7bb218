/**
 * @module edge/cache/coalesce.test
 * Request collapsing (spec 7.11): one fetch per key while in flight; errors reach everyone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Coalescer } from './coalesce.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('concurrent calls with one key share a fetch; the first is not joined', async () => {
  const c = new Coalescer<string>();
  const d = deferred<string>();
  let calls = 0;
  const fetch = () => {
    calls++;
    return d.promise;
  };
  const all = [c.run('k', fetch), c.run('k', fetch), c.run('k', fetch)];
  assert.equal(c.size, 1);
  d.resolve('v');
  const results = await Promise.all(all);
  assert.equal(calls, 1);
  assert.deepEqual(
    results.map((r) => r.value),
    ['v', 'v', 'v'],
  );
  assert.deepEqual(
    results.map((r) => r.joined),
    [false, true, true],
  );
});

test('different keys are never collapsed', async () => {
  const c = new Coalescer<number>();
  let calls = 0;
  const [a, b] = await Promise.all([c.run('a', async () => ++calls), c.run('b', async () => ++calls)]);
  assert.equal(calls, 2);
  assert.equal(a.joined || b.joined, false);
});

test('an error reaches every joiner, and the key is free again afterwards', async () => {
  const c = new Coalescer<string>();
  const d = deferred<string>();
  const p1 = c.run('k', () => d.promise);
  const p2 = c.run('k', () => Promise.resolve('never'));
  d.reject(new Error('origin down'));
  await assert.rejects(p1, /origin down/);
  await assert.rejects(p2, /origin down/);
  assert.equal(c.has('k'), false);
  const again = await c.run('k', async () => 'fresh');
  assert.deepEqual(again, { value: 'fresh', joined: false });
});

test('a settled fetch is forgotten: the next call fetches anew', async () => {
  const c = new Coalescer<number>();
  let n = 0;
  await c.run('k', async () => ++n);
  const second = await c.run('k', async () => ++n);
  assert.equal(second.value, 2);
  assert.equal(c.size, 0);
});

test('a synchronous throw reaches only its caller', async () => {
  const c = new Coalescer<number>();
  await assert.rejects(
    c.run('k', () => {
      throw new Error('sync');
    }),
    /sync/,
  );
  assert.equal(c.has('k'), false);
});
