/**
 * cpu-lanes.ts: at most `size` runs at once, the rest in arrival order; a lane is given back when
 * its run settles, rejections included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CpuLanes } from './cpu-lanes.js';

test('at most size runs at once, the rest wait in order; a rejection frees its lane', async () => {
  const lanes = new CpuLanes(2);
  const release: Array<() => void> = [];
  const started: number[] = [];
  const runs = [0, 1, 2, 3].map((i) =>
    lanes.run(
      () =>
        new Promise<number>((resolve, reject) => {
          started.push(i);
          release[i] = () => (i === 1 ? reject(new Error('boom')) : resolve(i));
        }),
    ),
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1]);
  assert.equal(lanes.busy, 2);
  release[1]!();
  await assert.rejects(runs[1]!, /boom/);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2], 'the rejected run gave its lane to the next in line');
  release[0]!();
  release[2]!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2, 3]);
  release[3]!();
  assert.deepEqual(await Promise.all([runs[0], runs[2], runs[3]]), [0, 2, 3]);
  assert.equal(lanes.busy, 0);
  assert.equal(new CpuLanes(0).busy, 0);
});
