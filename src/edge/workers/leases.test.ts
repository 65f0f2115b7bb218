/**
 * @module edge/workers/leases.test
 * The primary's side of cross-worker collapsing: who leads, who waits, who follows a leader's
 * object while it is written (and hears its progress and its end), what a leader's death and an
 * invalidation do, and that progress to a busy worker is coalesced instead of queued.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseTable, ProgressOutbox, invalidationMatch, type Out } from './leases.js';
import type { GrowingObject, ProgressMessage } from './protocol.js';

const object = (path = '/obj', tags: string[] = []): GrowingObject => ({
  entry: {
    key: `D1|GET|${path}`,
    distributionId: 'D1',
    status: 200,
    statusText: 'OK',
    headers: {},
    storedAt: 0,
    initialAgeSec: 0,
    ttlMs: 60_000,
    staleWhileRevalidateMs: 0,
    staleIfErrorMs: null,
    tags,
    invalidationPath: path,
    vary: [],
    size: 100,
  },
  path: '/cache/ab/abcd.000000000000',
  length: 1000,
});

/** The messages as `worker:verge[:detail]` strings, in order. */
const names = (out: Out[]) =>
  out.map(({ worker, msg }) => {
    if (msg.verge === 'granted') return `${worker}:granted:${msg.leader ? 'leader' : 'look-again'}:${msg.id}`;
    if (msg.verge === 'follow') return `${worker}:follow:${msg.id}@${msg.written}`;
    if (msg.verge === 'end') return `${worker}:end:${msg.end.ok ? 'ok' : 'cut'}@${msg.end.written}`;
    return `${worker}:${msg.verge}`;
  });

test('the first asker leads; waiters follow once the object is announced, and later askers follow at once', () => {
  const t = new LeaseTable();
  assert.deepEqual(names(t.lease(1, 7, 'k')), ['1:granted:leader:7']);
  assert.deepEqual(t.lease(2, 3, 'k'), []);
  assert.deepEqual(t.lease(1, 8, 'k'), [], 'the leader itself waits like anyone (its own coalescer joins locally)');
  assert.deepEqual(names(t.growing(1, 7, 'k', object(), 64)), ['2:follow:3@64', '1:follow:8@64']);
  assert.deepEqual(names(t.lease(3, 1, 'k')), ['3:follow:1@64']);
  const p = t.grown(1, 7, 128);
  assert.deepEqual(
    p.map((x) => `${x.worker}:${x.written}`),
    ['2:128', '1:128', '3:128'],
  );
  assert.deepEqual(t.grown(1, 7, 100), [], 'progress never goes backwards');
  assert.deepEqual(names(t.lease(2, 4, 'k')), ['2:follow:4@128'], 'a late asker starts where the file is');
  assert.deepEqual(names(t.release(1, 7, 'k', { ok: true, written: 1000 })), [
    '2:end:ok@1000',
    '1:end:ok@1000',
    '3:end:ok@1000',
  ]);
  assert.equal(t.size, 0);
  assert.equal(t.streams, 0);
  assert.deepEqual(names(t.lease(2, 5, 'k')), ['2:granted:leader:5'], 'the next miss leads');
});

test('an object never announced (kept in memory, not cacheable) is waited for, then looked up again', () => {
  const t = new LeaseTable();
  t.lease(1, 1, 'k');
  t.lease(2, 1, 'k');
  t.lease(2, 2, 'k');
  assert.deepEqual(names(t.release(1, 1, 'k')), ['2:granted:look-again:1', '2:granted:look-again:2']);
  assert.equal(t.size, 0);
});

test('an announcement or release naming another lease changes nothing', () => {
  const t = new LeaseTable();
  t.lease(1, 1, 'k');
  t.lease(2, 1, 'k');
  assert.deepEqual(t.growing(2, 1, 'k', object(), 1), [], 'not the holder');
  assert.deepEqual(t.growing(1, 9, 'k', object(), 1), [], 'an older lease of the holder');
  assert.deepEqual(t.release(1, 9, 'k'), []);
  assert.equal(t.size, 1);
});

test('a leader that exits cuts its followers off, wakes its waiters, and the next miss leads', () => {
  const t = new LeaseTable();
  t.lease(1, 1, 'a');
  t.lease(2, 1, 'a');
  t.growing(1, 1, 'a', object('/a'), 10);
  t.grown(1, 1, 500);
  t.lease(1, 2, 'b');
  t.lease(2, 2, 'b');
  assert.deepEqual(names(t.gone(1)), ['2:end:cut@500', '2:granted:look-again:2']);
  assert.equal(t.size, 0);
  assert.equal(t.streams, 0);
  assert.deepEqual(names(t.lease(2, 3, 'a')), ['2:granted:leader:3']);
  assert.deepEqual(t.release(1, 1, 'a', { ok: true, written: 1000 }), [], 'nothing left of the dead leader');
});

test('a release without an end (the fetch failed) cuts the followers off', () => {
  const t = new LeaseTable();
  t.lease(1, 1, 'k');
  t.lease(2, 1, 'k');
  t.growing(1, 1, 'k', object(), 10);
  assert.deepEqual(names(t.release(1, 1, 'k')), ['2:end:cut@10']);
});

test('a follower that exits hears nothing more; the others still do', () => {
  const t = new LeaseTable();
  t.lease(1, 1, 'k');
  t.lease(2, 1, 'k');
  t.lease(3, 1, 'k');
  t.growing(1, 1, 'k', object(), 10);
  assert.deepEqual(t.gone(2), []);
  assert.deepEqual(
    t.grown(1, 1, 20).map((p) => p.worker),
    [3],
  );
});

test('an invalidation withdraws the matching lease: followers keep reading to the end, the next miss leads', () => {
  const t = new LeaseTable();
  t.lease(1, 1, 'k');
  t.lease(2, 1, 'k');
  t.growing(1, 1, 'k', object('/img/a.jpg', ['t1']), 10);
  t.lease(1, 2, 'other');
  t.growing(1, 2, 'other', object('/other'), 10);
  assert.deepEqual(t.withdraw(invalidationMatch({ paths: ['/nothing'] })), []);
  assert.deepEqual(names(t.lease(3, 1, 'k')), ['3:follow:1@10'], 'not withdrawn by a path that does not match');
  assert.deepEqual(t.withdraw(invalidationMatch({ distributionId: 'D2', paths: ['/*'] })), []);
  assert.deepEqual(t.withdraw(invalidationMatch({ paths: ['/img/*'] })), []);
  assert.deepEqual(names(t.lease(3, 2, 'k')), ['3:granted:leader:2'], 'a miss after the invalidation leads');
  assert.deepEqual(
    t.grown(1, 1, 20).map((p) => p.worker),
    [2, 3],
    'the followers of the old object still hear it grow',
  );
  assert.deepEqual(names(t.release(1, 1, 'k', { ok: true, written: 1000 })), ['2:end:ok@1000', '3:end:ok@1000']);
  assert.equal(t.size, 2, "the old leader's release leaves the new lease alone");
  assert.deepEqual(names(t.lease(2, 9, 'k')), [], 'the new lease is still held');
  assert.deepEqual(t.withdraw(invalidationMatch({ tags: ['nope'] })), []);
  assert.equal(t.size, 2);
  t.withdraw(invalidationMatch({ distributionId: 'D1', paths: ['/other'] }));
  assert.deepEqual(names(t.lease(3, 3, 'other')), ['3:granted:leader:3']);
});

test('an invalidation the workers will refuse withdraws nothing', () => {
  const t = new LeaseTable();
  t.lease(1, 1, 'k');
  t.growing(1, 1, 'k', object(), 10);
  assert.deepEqual(t.withdraw(invalidationMatch({ paths: ['no-slash'] })), []);
  assert.deepEqual(t.withdraw(invalidationMatch(null)), []);
  assert.equal(t.size, 1);
});

test('progress to a worker is one message in flight; later values replace queued ones', () => {
  const sent: Array<{ worker: number; msg: ProgressMessage; done: () => void }> = [];
  const box = new ProgressOutbox((worker, msg, done) => {
    sent.push({ worker, msg, done });
    return true;
  });
  box.post({ worker: 2, stream: 1, written: 10 });
  for (let w = 20; w <= 2000; w += 10) box.post({ worker: 2, stream: 1, written: w });
  box.post({ worker: 2, stream: 5, written: 7 });
  box.post({ worker: 3, stream: 1, written: 2000 });
  assert.deepEqual(
    sent.map((s) => [s.worker, s.msg.grown]),
    [
      [2, [[1, 10]]],
      [3, [[1, 2000]]],
    ],
  );
  assert.equal(box.queued(2), 2, 'one value per object, however many arrived');
  sent[0]!.done();
  assert.deepEqual(sent[2]!.msg.grown, [
    [1, 2000],
    [5, 7],
  ]);
  box.post({ worker: 2, stream: 5, written: 9 });
  box.drop(5);
  sent[2]!.done();
  assert.equal(sent.length, 3, 'an ended object is not reported again');
  box.post({ worker: 2, stream: 1, written: 3000 });
  assert.deepEqual(sent[3]!.msg.grown, [[1, 3000]]);
});

test('progress to a worker that cannot be sent to is dropped, not queued', () => {
  let up = false;
  let sent = 0;
  const box = new ProgressOutbox(() => {
    sent++;
    return up;
  });
  box.post({ worker: 4, stream: 1, written: 1 });
  box.post({ worker: 4, stream: 1, written: 2 });
  assert.equal(box.queued(4), 0);
  assert.equal(sent, 2);
  up = true;
  box.post({ worker: 4, stream: 1, written: 3 });
  box.post({ worker: 4, stream: 1, written: 4 });
  assert.equal(box.queued(4), 1);
  box.gone(4);
  assert.equal(box.queued(4), 0);
});
