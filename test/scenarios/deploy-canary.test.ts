/**
 * Canary triggers (issue 10, item 5) over real `verge edge --control` processes: a canary whose
 * function throws on every request is rolled back by itself while only its share of viewers saw
 * errors (counted per viewer, each viewer named by its `verge-viewer` cookie), and it says so in
 * the deploy history, the logs and the trigger's events; a healthy canary steps 10 -> 50 -> 100
 * and becomes the plain trigger. Bad input names the problem and the next step and changes
 * nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { startFleet, type Fleet } from '../harness/pops.js';
import { taggerSource, until } from '../harness/replication.js';
import { runVerge } from '../harness/cli.js';
import { bucketOf } from '../../src/edge/pipeline/staging-route.js';

const POPS = ['p1', 'p2'];
const VIEWERS = Array.from({ length: 40 }, (_, i) => `viewer-${i}`);
const THROWS = `exports.handler = async () => { throw new Error('canary broke'); };\n`;

describe('canary triggers', () => {
  let fleet: Fleet;
  let origin: ScriptedOrigin;
  const api = (method: string, path: string, body?: unknown) => fleet.t.api(method, path, body);
  const cli = (args: string[]) =>
    runVerge(args, { url: fleet.t.control.url, token: fleet.t.adminToken, dir: fleet.t.dir });
  const snapshots = async () => ((await api('GET', '/deployments?limit=1')).body.items[0]?.version ?? 0) as number;
  const as = (viewer: string, pop: string) =>
    fleet.get(pop, '/item', { host: 'demo.test', headers: { cookie: `verge-viewer=${viewer}` } });
  const trigger = async () => (await api('GET', '/triggers?distributionId=demo')).body.items[0];
  /** Every PoP acknowledged the distribution's latest generation. */
  const deployed = () =>
    until(
      'demo Deployed on every PoP',
      async () => (await api('GET', '/distributions/demo')).body.status === 'Deployed',
      60_000,
      100,
    );

  async function publish(fn: string, source: string): Promise<string> {
    const exists = (await api('GET', `/functions/${fn}`)).status === 200;
    const c = exists
      ? await api('PUT', `/functions/${fn}/code`, { code: { source } })
      : await api('POST', '/functions', { name: fn, runtime: 'nodejs', code: { source } });
    assert.ok(c.status === 201 || c.status === 200, c.text);
    const v = await api('POST', `/functions/${fn}/publish`, {});
    assert.equal(v.status, 201, v.text);
    return `${fn}:${v.body.version}`;
  }
  const where = { distributionId: 'demo', behavior: 'default', eventType: 'viewer-response' };

  before(async () => {
    origin = await startOrigin({ '*': { headers: { 'cache-control': 'no-store' }, body: 'item' } });
    fleet = await startFleet({ pops: POPS });
    const d = await api('POST', '/distributions', {
      id: 'demo',
      aliases: ['demo.test'],
      origins: [{ id: 'o', domainName: '127.0.0.1', port: origin.port, protocol: 'http', connectionAttempts: 1 }],
      defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingDisabled' },
    });
    assert.equal(d.status, 201, d.text);
  });
  after(async () => {
    await fleet?.close();
    await origin?.close();
  });

  test('bad input names the problem and the next step and changes nothing', async () => {
    const good = await publish('good', taggerSource('good-1'));
    const before = await snapshots();
    const none = await cli(['triggers', 'add', '--distribution', 'demo', '--behavior', 'default', '--event', 'viewer-response', '--function', good, '--canary', '10']); // prettier-ignore
    assert.equal(none.code, 1, none.stdout + none.stderr);
    assert.match(
      none.stderr,
      /runs no function yet, so there is no previous version to compare a canary with; attach one first without --canary/,
    );
    assert.equal(await snapshots(), before);

    const t = await api('POST', '/triggers', { ...where, function: good });
    assert.equal(t.status, 201, t.text);
    const second = await publish('good', taggerSource('good-2'));
    const after = await snapshots();
    const refused = [
      [{ percent: 0 }, /0 is not a share the canary can start at: give a whole percent from 1 to 99/],
      [{ percent: 100 }, /attach it without --canary/],
      [{ percent: 10, steps: [10, 5, 100] }, /steps must increase: 10,5,100/],
      [{ percent: 10, steps: [10, 50] }, /the last step must be 100/],
    ] as const;
    for (const [canary, re] of refused) {
      const r = await api('POST', '/triggers', { ...where, function: second, canary });
      assert.equal(r.status, 400, r.text);
      assert.match(r.body.error.message, re);
    }
    const same = await api('POST', '/triggers', { ...where, function: good, canary: { percent: 10 } });
    assert.match(same.body.error.message, /good:1 already runs on demo default viewer-response; publish a new version/);
    const unpublished = await api('POST', '/triggers', { ...where, function: 'good:9', canary: { percent: 10 } });
    assert.match(unpublished.body.error.message, /function good has no version 9/);
    assert.equal(await snapshots(), after, 'a refused canary changes nothing');
    assert.equal((await trigger()).canary, null);
  });

  test('a canary that throws on every request is rolled back by itself; only its share of viewers saw errors', async () => {
    const bad = await publish('bad', THROWS);
    const started = await cli(['triggers', 'add', '--distribution', 'demo', '--behavior', 'default', '--event', 'viewer-response', '--function', bad, '--canary', '30', '--auto-rollback']); // prettier-ignore
    assert.equal(started.code, 0, started.stdout + started.stderr);
    assert.match(
      started.stdout,
      /canary bad:1 on demo default viewer-response .*good:1 70%, bad:1 30%, holding; rolled back by itself if worse/,
    );
    const c = (await trigger()).canary;
    assert.equal(c.state, 'holding');
    await deployed();

    const onCanary = new Set(VIEWERS.filter((v) => bucketOf(v, c.id) < 30));
    assert.ok(onCanary.size > 0 && onCanary.size < VIEWERS.length, `${onCanary.size} viewers in the 30% share`);
    const sawErrors = new Set<string>();
    let requests = 0;
    // Rounds over every viewer until the control plane rolls the canary back (bounded).
    for (let round = 0; round < 40 && (await trigger()).canary.state !== 'rolled-back'; round++) {
      for (const [i, v] of VIEWERS.entries()) {
        const r = await as(v, POPS[i % POPS.length]!);
        requests++;
        if (r.status >= 500) sawErrors.add(v);
        else assert.equal(r.header('x-fn'), 'good-1', `${v} on the previous version`);
      }
    }
    const t = await trigger();
    assert.equal(t.canary.state, 'rolled-back', `not rolled back after ${requests} requests`);
    assert.equal(t.function, 'good:1');
    assert.ok(sawErrors.size > 0, 'the canary share saw the errors');
    for (const v of sawErrors) assert.ok(onCanary.has(v), `${v} saw an error but is not in the canary's share`);
    assert.ok(sawErrors.size < VIEWERS.length);

    // It says so: the trigger's events, the deploy history, the control plane's log.
    const last = t.canary.events.at(-1);
    assert.equal(last.kind, 'rolled-back');
    assert.match(
      last.message,
      /canary bad:1 on demo default viewer-response rolled back to good:1: error rate 100\.0%/,
    );
    const history = (await api('GET', '/deployments')).body.items.map((d: { reason: string }) => d.reason);
    assert.ok(
      history.some((r: string) => /rolled back to good:1: error rate/.test(r)),
      history.join('\n'),
    );
    assert.ok(fleet.t.logger.lines.some((l) => l.level === 'warn' && /rolled back to good:1/.test(String(l.msg))));
    const listed = await cli(['triggers', 'list', '--distribution', 'demo']);
    assert.match(listed.stdout, /bad:1 rolled-back/);

    // Every viewer is back on the previous version on every PoP.
    await deployed();
    for (const [i, v] of VIEWERS.entries())
      assert.equal((await as(v, POPS[i % POPS.length]!)).header('x-fn'), 'good-1');
  });

  test('a healthy canary steps to 100 and becomes the plain trigger', async () => {
    const next = await publish('good', taggerSource('good-3'));
    const r = await api('POST', '/triggers', {
      ...where,
      function: next,
      canary: { percent: 10, steps: [10, 50, 100], stepIntervalSeconds: 1, autoRollback: true },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.canary.state, 'stepping');
    assert.deepEqual(r.body.canary.split, [
      { function: 'good:1', percent: 90 },
      { function: next, percent: 10 },
    ]);
    await until('the canary promoted', async () => (await trigger()).canary.state === 'promoted', 60_000, 200);
    const t = await trigger();
    assert.equal(t.function, next, 'the canary version is the trigger now');
    assert.deepEqual(
      t.canary.events.map((e: { kind: string; percent: number }) => `${e.kind} ${e.percent}`),
      ['started 10', 'stepped 50', 'promoted 100'],
    );
    const listed = await cli(['triggers', 'list', '--distribution', 'demo']);
    assert.match(listed.stdout, new RegExp(`${next} +no +${next} promoted`));
    await deployed();
    for (const [i, v] of VIEWERS.entries())
      assert.equal((await as(v, POPS[i % POPS.length]!)).header('x-fn'), 'good-3');
  });
});
