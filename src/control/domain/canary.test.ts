// The canary decisions (canary.ts) on an injected clock: input rules, stepping, and the rollback
// rule with its minimum sample and margins.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import { CANARY_RULES, canaryProblems, judge, newCanary, nextStep, withEvent, type CanaryRecord } from './canary.js';

const fn = { name: 'auth', version: 2 };

describe('canary input', () => {
  test('a share from 1 to 99, steps increasing and ending at 100, an interval only with steps', () => {
    assert.deepEqual(canaryProblems({ percent: 10 }), []);
    assert.deepEqual(canaryProblems({ percent: 10, steps: [10, 50, 100], stepIntervalMs: 300_000 }), []);
    const msg = (c: Parameters<typeof canaryProblems>[0]) => canaryProblems(c).map((p) => `${p.path}: ${p.message}`);
    assert.match(msg({ percent: 0 })[0]!, /\$\.canary\.percent: 0 is not a share.*1 to 99/);
    assert.match(msg({ percent: 100 })[0]!, /attach it without --canary/);
    assert.match(msg({ percent: 10, steps: [50, 20, 100] })[0]!, /steps must increase: 50,20,100/);
    assert.match(msg({ percent: 10, steps: [10, 50] })[0]!, /the last step must be 100.*ends at 50/);
    assert.match(msg({ percent: 20, steps: [10, 100] })[0]!, /below the starting share 20%/);
    assert.match(msg({ percent: 10, stepIntervalMs: 1000 })[0]!, /needs steps/);
    assert.match(msg({ percent: 10, steps: [100], stepIntervalMs: 10 })[0]!, /at least 1 second/);
  });
});

describe('stepping on the injected clock', () => {
  test('each step waits its interval; after the last (100) the canary is promoted', () => {
    const clock = new FakeClock();
    let c: CanaryRecord = newCanary(
      'c1',
      fn,
      { percent: 10, steps: [10, 50, 100], stepIntervalMs: 60_000 },
      clock.now(),
      'auth:1',
    );
    assert.equal(c.state, 'stepping');
    assert.deepEqual(c.steps, [10, 50, 100]);
    assert.equal(nextStep(c, clock.now()), null);
    clock.advance(59_999);
    assert.equal(nextStep(c, clock.now()), null, 'not before the interval');
    clock.advance(1);
    assert.equal(nextStep(c, clock.now()), 50);
    c = withEvent(c, { at: clock.now(), kind: 'stepped', percent: 50, message: '' });
    assert.equal(c.stepAt, clock.now(), 'the interval restarts at each step');
    clock.advance(30_000);
    assert.equal(nextStep(c, clock.now()), null);
    clock.advance(30_000);
    assert.equal(nextStep(c, clock.now()), 'promote');
  });

  test('without steps the canary holds its share; an ended canary never steps', () => {
    const clock = new FakeClock();
    const c = newCanary('c1', fn, { percent: 5 }, clock.now(), 'auth:1');
    assert.equal(c.state, 'holding');
    clock.advance(86_400_000);
    assert.equal(nextStep(c, clock.now()), null);
    const ended = withEvent(
      newCanary('c2', fn, { percent: 5, steps: [100], stepIntervalMs: 1000 }, 0, 'auth:1'),
      { at: 0, kind: 'rolled-back', percent: 0, message: '' },
      'rolled-back',
    );
    assert.equal(nextStep(ended, 10_000_000), null);
  });

  test('events are bounded', () => {
    let c = newCanary('c1', fn, { percent: 5 }, 0, 'auth:1');
    for (let i = 0; i < 50; i++) c = withEvent(c, { at: i, kind: 'stepped', percent: 5, message: String(i) });
    assert.equal(c.events.length, 20);
    assert.equal(c.events.at(-1)!.message, '49');
  });
});

describe('the rollback rule', () => {
  const ok = (invocations: number, errors = 0, p99: number | null = 5) => ({ invocations, errors, p99 });

  test('one error, or a handful of invocations, does not trip it', () => {
    assert.equal(judge(ok(500), ok(CANARY_RULES.minInvocations - 1, CANARY_RULES.minInvocations - 1)).worse, false);
    assert.equal(judge(ok(500), ok(100, 1)).worse, false, 'one error in 100 is below the minimum error count');
  });

  test('an error rate over the baseline by more than the margin is worse, and says by how much', () => {
    const v = judge(ok(180, 0), ok(20, 20));
    assert.equal(v.worse, true);
    assert.match(v.reason, /error rate 100\.0% \(20 of 20\) against 0\.0% \(0 of 180\)/);
    // Both failing alike: the new version is not the cause.
    assert.equal(judge(ok(200, 100), ok(40, 20)).worse, false);
    // 4 points over the baseline is inside the margin; 6 is not.
    assert.equal(judge(ok(1000, 100), ok(100, 14)).worse, false);
    assert.equal(judge(ok(1000, 100), ok(100, 16)).worse, true);
  });

  test('a p99 over twice the baseline and 50 ms more is worse; and needs enough baseline invocations to compare', () => {
    assert.equal(judge(ok(100, 0, 10), ok(100, 0, 25)).worse, false, 'over twice but not 50 ms more');
    const v = judge(ok(100, 0, 10), ok(100, 0, 250));
    assert.equal(v.worse, true);
    assert.match(v.reason, /p99 250 ms against 10 ms/);
    assert.equal(judge(ok(10, 0, 10), ok(100, 0, 250)).worse, false, 'too few baseline invocations to compare');
  });
});
