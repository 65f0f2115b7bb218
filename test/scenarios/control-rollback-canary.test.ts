/**
 * A rollback and the canaries on a distribution's triggers (control plane only, injected clock).
 * Rolling back to a snapshot that served a canary serves it again: the new snapshot's
 * distribution equals the old one's, the canary keeps its id (the same viewers on each side),
 * share, steps and auto-rollback, and the trigger keeps its id. Rolling back past a canary ends
 * it as `rolled-back` with an event naming the rollback instead of deleting its record. Before
 * this, every rollback re-created the triggers with new ids and no canary, whatever the old
 * snapshot served.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/shared/clock.js';
import { openSnapshot } from '../../src/control/compile/snapshot.js';
import { startTestControl, taggingSource, type TestControl } from '../../src/control/testing/harness.js';

const T0 = Date.UTC(2026, 11, 7, 12);

describe('rollback keeps what the old snapshot served, canaries included', () => {
  const clock = new FakeClock(T0);
  let t: TestControl;
  const where = { distributionId: 'demo', behavior: 'default', eventType: 'viewer-request' };
  const trigger = async () => (await t.api('GET', '/triggers?distributionId=demo')).body.items[0];
  const latest = async (): Promise<number> => (await t.api('GET', '/deployments')).body.items[0].version;
  const demoIn = async (version: number) => {
    const s = await openSnapshot(t.control.app.store, t.control.app.box, version);
    return s!.distributions.find((d) => d.id === 'demo');
  };
  const publish = async (tag: string) => {
    const r = await t.api('PUT', '/functions/f/code', { code: { source: taggingSource(tag) } });
    assert.equal(r.status, 200, r.text);
    return `f:${(await t.api('POST', '/functions/f/publish', {})).body.version}`;
  };
  const rollback = async (to: number) => {
    const r = await t.api('POST', '/distributions/demo/rollback', { to });
    assert.equal(r.status, 201, r.text);
    return r.body.newSnapshot as number;
  };
  let plain: number;
  let withCanary: number;
  let triggerId: string;
  let canaryId: string;

  before(async () => {
    t = await startTestControl({ clock });
    const d = await t.api('POST', '/distributions', {
      id: 'demo',
      origins: [{ id: 'o', domainName: '127.0.0.1', port: 9 }],
      defaultCacheBehavior: { targetOriginId: 'o' },
    });
    assert.equal(d.status, 201, d.text);
    const f = await t.api('POST', '/functions', { name: 'f', runtime: 'nodejs', code: { source: taggingSource('1') } });
    assert.equal(f.status, 201, f.text);
    await t.api('POST', '/functions/f/publish', {});
    const base = await t.api('POST', '/triggers', { ...where, function: 'f:1' });
    assert.equal(base.status, 201, base.text);
    triggerId = base.body.id;
    plain = await latest();
    const v2 = await publish('2');
    const c = await t.api('POST', '/triggers', {
      ...where,
      function: v2,
      canary: { percent: 10, steps: [10, 50, 100], stepIntervalSeconds: 300, autoRollback: true },
    });
    assert.equal(c.status, 201, c.text);
    canaryId = c.body.canary.id;
    withCanary = await latest();
    clock.advance(300_000);
    assert.deepEqual(await t.control.canaries.tick(), [`${triggerId} stepped to 50%`]);
  });
  after(() => t?.close());

  test('back to a snapshot that ran a canary: the same canary runs again, with its settings', async () => {
    const now = await rollback(withCanary);
    assert.deepEqual(await demoIn(now), await demoIn(withCanary), 'the new snapshot serves what the old one did');
    const tr = await trigger();
    assert.equal(tr.id, triggerId, 'the trigger keeps its id');
    assert.equal(tr.function, 'f:1');
    assert.equal(tr.canary.id, canaryId);
    assert.equal(tr.canary.state, 'stepping');
    assert.equal(tr.canary.percent, 10);
    assert.deepEqual(tr.canary.steps, [10, 50, 100]);
    assert.equal(tr.canary.autoRollback, true);
    assert.equal(tr.canary.nextStepAt, new Date(clock.now() + 300_000).toISOString(), 'a whole interval from now');
    assert.match(
      tr.canary.events.at(-1).message,
      new RegExp(`f:2 runs for 10% of viewers again.*snapshot ${withCanary}`),
    );
  });

  test('back to before the canary: it ends as rolled-back, and its record says why', async () => {
    const now = await rollback(plain);
    assert.deepEqual(await demoIn(now), await demoIn(plain));
    const tr = await trigger();
    assert.equal(tr.id, triggerId);
    assert.equal(tr.function, 'f:1');
    assert.equal(tr.canary.id, canaryId, 'the canary record is kept');
    assert.equal(tr.canary.state, 'rolled-back');
    assert.match(tr.canary.events.at(-1).message, new RegExp(`ended by rollback to snapshot ${plain}`));
  });

  test('a canary whose record is gone comes back holding, and its event says what was not kept', async () => {
    const v3 = await publish('3');
    assert.equal((await t.api('POST', '/triggers', { ...where, function: v3 })).status, 201);
    const now = await rollback(withCanary);
    assert.deepEqual(await demoIn(now), await demoIn(withCanary));
    const tr = await trigger();
    assert.equal(tr.function, 'f:1');
    assert.equal(tr.canary.id, canaryId);
    assert.equal(tr.canary.state, 'holding');
    assert.equal(tr.canary.percent, 10);
    assert.equal(tr.canary.autoRollback, false);
    assert.match(tr.canary.events.at(-1).message, /steps and auto-rollback were not kept/);
  });
});
