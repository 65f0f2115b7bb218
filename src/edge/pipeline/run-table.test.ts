/**
 * The loop both step tables share (run-table.ts): synchronous steps finish without a Promise,
 * asynchronous ones resume where they left off, a step that throws takes the table's failure
 * transition, and a transition the table does not list is refused as a bug.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PipelineDeps } from './deps.js';
import { runTable, runTableAsync, type Table } from './run-table.js';

type N = 'a' | 'b' | 'fail';
interface T {
  seen: string[];
  next: Partial<Record<N, N | 'done'>>;
  throwIn?: N;
  asyncIn?: N;
}

const table: Table<T, N> = {
  name: 'test',
  steps: {
    a: (t) => step(t, 'a'),
    b: (t) => step(t, 'b'),
    fail: (t) => step(t, 'fail'),
  },
  transitions: { a: ['b', 'done'], b: ['done'], fail: ['done'] },
  fail: (t, s, e) => {
    t.seen.push(`failed in ${s}: ${(e as Error).message}`);
    return 'fail';
  },
};

function step(t: T, name: N): N | 'done' | Promise<N | 'done'> {
  t.seen.push(name);
  if (t.throwIn === name) throw new Error('boom');
  const next = t.next[name] ?? 'done';
  return t.asyncIn === name ? Promise.resolve(next) : next;
}

const deps = {} as PipelineDeps;

describe('run-table', () => {
  test('synchronous steps run to done without a Promise', () => {
    const t: T = { seen: [], next: { a: 'b' } };
    assert.equal(runTable(table, t, deps, 'a'), undefined);
    assert.deepEqual(t.seen, ['a', 'b']);
  });

  test('an asynchronous step resumes the walk where it left off', async () => {
    const t: T = { seen: [], next: { a: 'b' }, asyncIn: 'a' };
    await runTableAsync(table, t, deps, 'a');
    assert.deepEqual(t.seen, ['a', 'b']);
  });

  test("a step that throws takes the table's failure transition", () => {
    const t: T = { seen: [], next: { a: 'b' }, throwIn: 'b' };
    runTable(table, t, deps, 'a');
    assert.deepEqual(t.seen, ['a', 'b', 'failed in b: boom', 'fail']);
  });

  test('a transition the table does not list is refused', async () => {
    assert.throws(() => runTable(table, { seen: [], next: { b: 'a' } }, deps, 'b'), /test bug: step b cannot go to a/);
    await assert.rejects(
      runTableAsync(table, { seen: [], next: { b: 'a' }, asyncIn: 'b' }, deps, 'b'),
      /test bug: step b cannot go to a/,
    );
  });
});
