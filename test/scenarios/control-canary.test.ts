/**
 * Canary triggers in the control plane on an injected clock (no PoPs): `CanaryWatch.tick()` steps
 * a canary only when its interval has passed on the fake clock, one snapshot per step, and
 * promotes it after the last; with auto-rollback it compares the arms from metric points PoPs
 * send (labelled `canary`/`arm`), summed across PoPs over the last 60 s only, and rolls back when
 * the canary is worse, not before it has enough invocations.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/shared/clock.js';
import { METRIC_BOUNDS_MS } from '../../src/shared/replication/protocol.js';
import { startTestControl, type TestControl } from '../../src/control/testing/harness.js';

const T0 = Date.UTC(2026, 11, 7, 12);
const tagger = (tag: string) =>
  `exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-fn'] = [{ key: 'X-Fn', value: '${tag}' }]; return r; };`;

describe('canary triggers on the injected clock', () => {
  const clock = new FakeClock(T0);
  let t: TestControl;
  let token: string;
  const where = { distributionId: 'demo', behavior: 'default', eventType: 'viewer-response' };
  const trigger = async () => (await t.api('GET', '/triggers?distributionId=demo')).body.items[0];
  const latest = async () => (await t.api('GET', '/deployments')).body.items[0];
  /** One PoP's function point for an arm of canary `id` at `time`. */
  const point = (id: string, arm: string, time: number, invocations: number, errors: number, ms: number) => {
    const counts = new Array<number>(METRIC_BOUNDS_MS.length + 1).fill(0);
    counts[METRIC_BOUNDS_MS.findIndex((b) => ms <= b)] = invocations;
    return {
      time,
      intervalMs: 10_000,
      kind: 'function',
      labels: { name: 'f', version: arm === 'canary' ? '3' : '2', event: 'viewer-response', canary: id, arm },
      counters: { invocations, ...(errors ? { 'error:LambdaExecutionError': errors } : {}) },
      histogram: { boundsMs: [...METRIC_BOUNDS_MS], counts, sum: ms * invocations, count: invocations },
    };
  };
  let batch = 0;
  const send = async (points: unknown[]) => {
    const r = await t.api('POST', '/edge/metrics', { pop: 'p1', batchId: `b${batch++}`, points }, { token });
    assert.ok(r.status < 300, r.text);
  };
  const publish = async (tag: string) => {
    const r = await t.api('PUT', '/functions/f/code', { code: { source: tagger(tag) } });
    assert.equal(r.status, 200, r.text);
    return `f:${(await t.api('POST', '/functions/f/publish', {})).body.version}`;
  };

  before(async () => {
    t = await startTestControl({ clock });
    token = (await t.api('POST', '/tokens', { name: 'p1', kind: 'edge', pop: 'p1' })).body.token;
    await t.api('POST', '/edge/register', { pop: 'p1', region: 'r', appliedVersion: 0, edgeVersion: 't' }, { token });
    const d = await t.api('POST', '/distributions', {
      id: 'demo',
      origins: [{ id: 'o', domainName: '127.0.0.1', port: 9 }],
      defaultCacheBehavior: { targetOriginId: 'o' },
    });
    assert.equal(d.status, 201, d.text);
    const f = await t.api('POST', '/functions', { name: 'f', runtime: 'nodejs', code: { source: tagger('1') } });
    assert.equal(f.status, 201, f.text);
    await t.api('POST', '/functions/f/publish', {});
    assert.equal((await t.api('POST', '/triggers', { ...where, function: 'f:1' })).status, 201);
  });
  after(() => t?.close());

  test('steps wait their interval on the clock; each is a snapshot; after 100 the canary is the trigger', async () => {
    const v2 = await publish('2');
    const r = await t.api('POST', '/triggers', {
      ...where,
      function: v2,
      canary: { percent: 10, steps: [10, 50, 100], stepIntervalSeconds: 300 },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.canary.nextStepAt, new Date(T0 + 300_000).toISOString());
    const started = (await latest()).version;
    assert.deepEqual(await t.control.canaries.tick(), []);
    clock.advance(299_000);
    assert.deepEqual(await t.control.canaries.tick(), [], 'not before the interval');
    assert.equal((await latest()).version, started);
    clock.advance(1000);
    assert.deepEqual(await t.control.canaries.tick(), [`${r.body.id} stepped to 50%`]);
    assert.match((await latest()).reason, /canary f:2 on demo default viewer-response stepped to 50%/);
    assert.deepEqual((await trigger()).canary.split, [
      { function: 'f:1', percent: 50 },
      { function: 'f:2', percent: 50 },
    ]);
    clock.advance(300_000);
    assert.deepEqual(await t.control.canaries.tick(), [`${r.body.id} promoted`]);
    const done = await trigger();
    assert.equal(done.function, 'f:2');
    assert.equal(done.canary.state, 'promoted');
    assert.match((await latest()).reason, /promoted: it runs for every viewer \(was f:1\)/);
  });

  test('auto-rollback: arms compared over the last 60 s, not before enough invocations, and only when worse', async () => {
    const v3 = await publish('3');
    const r = await t.api('POST', '/triggers', { ...where, function: v3, canary: { percent: 20, autoRollback: true } });
    assert.equal(r.status, 201, r.text);
    const id = r.body.canary.id;
    const now = () => Math.floor(clock.now() / 10_000) * 10_000;
    // Too few canary invocations (19 of the 20 needed), every one an error: not yet.
    await send([point(id, 'baseline', now(), 80, 0, 4), point(id, 'canary', now(), 19, 19, 4)]);
    assert.deepEqual(await t.control.canaries.tick(), []);
    // Those errors age out of the 60 s window; the canary is healthy since: it stays.
    clock.advance(70_000);
    await send([point(id, 'baseline', now(), 100, 0, 4), point(id, 'canary', now(), 30, 0, 4)]);
    assert.deepEqual(await t.control.canaries.tick(), []);
    assert.equal((await trigger()).canary.state, 'holding');
    // New errors on the canary only: rolled back.
    await send([point(id, 'canary', now(), 25, 9, 4)]);
    assert.deepEqual(await t.control.canaries.tick(), [`${r.body.id} rolled back`]);
    const back = await trigger();
    assert.equal(back.function, 'f:2', 'the previous version for everyone');
    assert.equal(back.canary.state, 'rolled-back');
    assert.match(back.canary.events.at(-1).message, /error rate 16\.4% \(9 of 55\) against 0\.0% \(0 of 100\)/);
    assert.match((await latest()).reason, /canary f:3 on demo default viewer-response rolled back to f:2/);
    const manual = await t.api('POST', `/triggers/${r.body.id}/canary/rollback`);
    assert.equal(manual.status, 404);
    assert.match(manual.body.error.message, /has no canary running \(its last one was rolled-back\)/);
  });

  test('a canary of another function keeps that function in use; rolled back by hand, it can be deleted', async () => {
    const g = await t.api('POST', '/functions', { name: 'g', runtime: 'nodejs', code: { source: tagger('g') } });
    assert.equal(g.status, 201, g.text);
    await t.api('POST', '/functions/g/publish', {});
    const r = await t.api('POST', '/triggers', { ...where, function: 'g:1', canary: { percent: 5 } });
    assert.equal(r.status, 201, r.text);
    const inUse = await t.api('DELETE', '/functions/g');
    assert.equal(inUse.status, 409, inUse.text);
    assert.match(
      inUse.body.error.message,
      new RegExp(`function g is attached by ${r.body.id} \\(demo default viewer-response → g:1\\)`),
    );
    const back = await t.api('POST', `/triggers/${r.body.id}/canary/rollback`);
    assert.equal(back.status, 200, back.text);
    assert.equal(back.body.canary.state, 'rolled-back');
    assert.match(back.body.canary.events.at(-1).message, /rolled back to f:2: rolled back by hand/);
    assert.equal((await t.api('DELETE', '/functions/g')).status, 204);
  });
});
