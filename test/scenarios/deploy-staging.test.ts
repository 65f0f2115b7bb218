/**
 * Staging distributions (issue 10, item 4) over three real `verge edge --control` processes:
 * `verge staging create` copies `demo` into `demo-staging`; a function attached to the staging
 * id runs, on every PoP, only for requests carrying the `aws-cf-cd-*` header the routing names;
 * `status` shows both side by side; `promote` makes it the primary; `discard` removes it. Bad
 * input (a staging of a distribution that does not exist, a header without the prefix, a weight
 * over 15%, promote with nothing staged) is refused with the problem and the next step, and
 * changes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { startFleet, type Fleet } from '../harness/pops.js';
import { taggerSource, until } from '../harness/replication.js';
import { runVerge } from '../harness/cli.js';

const POPS = ['p1', 'p2', 'p3'];
const HEADER = { 'aws-cf-cd-staging': 'yes' };

describe('staging distributions', () => {
  let fleet: Fleet;
  let origin: ScriptedOrigin;
  const api = (method: string, path: string, body?: unknown) => fleet.t.api(method, path, body);
  const cli = (args: string[]) =>
    runVerge(args, { url: fleet.t.control.url, token: fleet.t.adminToken, dir: fleet.t.dir });
  const fnAt = async (pop: string, headers: Record<string, string> = {}) =>
    (await fleet.get(pop, '/item', { host: 'demo.test', headers })).header('x-fn');
  const everywhere = (what: string, headers: Record<string, string>, tag: string) =>
    until(
      `every PoP answering ${what} with X-Fn: ${tag}`,
      async () => (await Promise.all(POPS.map((p) => fnAt(p, headers)))).every((t) => t === tag),
      60_000,
      100,
    );
  const snapshots = async () => ((await api('GET', '/deployments?limit=1')).body.items[0]?.version ?? 0) as number;

  async function publish(fn: string, tag: string): Promise<string> {
    const c = await api('POST', '/functions', { name: fn, runtime: 'nodejs', code: { source: taggerSource(tag) } });
    assert.equal(c.status, 201, c.text);
    const v = await api('POST', `/functions/${fn}/publish`, {});
    assert.equal(v.status, 201, v.text);
    return `${fn}:${v.body.version}`;
  }
  const attach = async (distributionId: string, fn: string) => {
    const t = await api('POST', '/triggers', {
      distributionId,
      behavior: 'default',
      eventType: 'viewer-response',
      function: fn,
    });
    assert.equal(t.status, 201, t.text);
  };

  before(async () => {
    origin = await startOrigin({
      '/missing': { status: 404, headers: { 'cache-control': 'no-store' }, body: 'no' },
      '*': { headers: { 'cache-control': 'no-store' }, body: 'item' },
    });
    fleet = await startFleet({ pops: POPS });
    const d = await api('POST', '/distributions', {
      id: 'demo',
      aliases: ['demo.test'],
      origins: [{ id: 'o', domainName: '127.0.0.1', port: origin.port, protocol: 'http', connectionAttempts: 1 }],
      defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingDisabled' },
    });
    assert.equal(d.status, 201, d.text);
    await attach('demo', await publish('prod', 'demo-1'));
    await everywhere('demo', {}, 'demo-1');
  });
  after(async () => {
    await fleet?.close();
    await origin?.close();
  });

  test('bad input names the problem and the next step and changes nothing', async () => {
    const before = await snapshots();
    const nope = await api('POST', '/distributions/nope/staging');
    assert.equal(nope.status, 404, nope.text);
    assert.match(nope.body.error.message, /distribution nope does not exist.*create it first/);
    const promote = await cli(['staging', 'promote', 'demo']);
    assert.equal(promote.code, 1, promote.stdout + promote.stderr);
    assert.match(
      promote.stderr,
      /nothing is staged for demo, so there is nothing to promote: create a staging distribution first \(verge staging create demo\)/,
    );
    const discard = await api('DELETE', '/distributions/demo/staging');
    assert.equal(discard.status, 404, discard.text);
    assert.equal(await snapshots(), before);
  });

  test('a header-routed staging request runs the staged function on every PoP while others do not', async () => {
    const made = await cli(['staging', 'create', 'demo']);
    assert.equal(made.code, 0, made.stdout + made.stderr);
    assert.match(made.stdout, /created demo-staging from demo/);
    // The triggers came along; a new function goes on the staging id only.
    assert.equal((await api('GET', '/triggers?distributionId=demo-staging')).body.items[0].function, 'prod:1');
    await attach('demo-staging', await publish('candidate', 'staged-2'));

    const before = await snapshots();
    const badName = await cli(['staging', 'route', 'demo', '--header', 'x-staging=yes']);
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /header\.name.*must start with "aws-cf-cd-"/);
    const tooMuch = await api('PUT', '/distributions/demo/staging/routing', { weight: { percent: 50 } });
    assert.equal(tooMuch.status, 400, tooMuch.text);
    assert.match(tooMuch.text, /50% is over the limit: at most 15% of viewers go to staging/);
    assert.equal(await snapshots(), before, 'refused routing changes nothing');

    const routed = await cli(['staging', 'route', 'demo', '--header', 'aws-cf-cd-staging=yes']);
    assert.equal(routed.code, 0, routed.stdout + routed.stderr);
    await everywhere('demo with the staging header', HEADER, 'staged-2');
    for (const p of POPS)
      assert.equal(await fnAt(p), 'demo-1', `${p}: requests without the header stay on the primary`);
    for (const p of POPS) assert.equal(await fnAt(p, { 'aws-cf-cd-staging': 'no' }), 'demo-1');

    const status = await cli(['staging', 'status', 'demo']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /primary +demo +generation \d+/);
    assert.match(status.stdout, /staging +demo-staging +generation \d+/);
    assert.match(status.stdout, /routing +header aws-cf-cd-staging: yes/);
    assert.match(status.stdout, /REQUESTS/);
    const view = (await api('GET', '/distributions/demo/staging')).body;
    assert.deepEqual(Object.keys(view.metrics).sort(), ['primary', 'staging', 'windowMs']);
  });

  test('weight routing with --sticky keeps a viewer on its side by a session cookie on every PoP; status counts errors by class and p99', async () => {
    const routed = await cli(['staging', 'route', 'demo', '--weight', '15', '--sticky', '300']);
    assert.equal(routed.code, 0, routed.stdout + routed.stderr);
    assert.match(
      routed.stdout,
      /routing +weight 15% of viewers, sticky sessions \(cookie aws-cf-cd-session, 300 s idle\)/,
    );
    const short = await api('PUT', '/distributions/demo/staging/routing', {
      weight: { percent: 15, stickySeconds: 60 },
    });
    assert.equal(short.status, 400, short.text);
    assert.match(short.body.error.message, /stickySeconds: must be between 300 and 3600 \(got 60\)/);
    // Every answer carries the viewer's side; the token ties it to this routing.
    let token = '';
    await until(
      'a sticky session cookie from every PoP',
      async () => {
        const cookies = await Promise.all(
          POPS.map(async (p) => (await fleet.get(p, '/item', { host: 'demo.test' })).header('set-cookie') ?? ''),
        );
        const m = cookies.map((c) =>
          /^aws-cf-cd-session=(?:primary|staging)\.([0-9a-f]+); Max-Age=300; Path=\/; HttpOnly/.exec(c),
        );
        if (m.some((x) => !x) || new Set(m.map((x) => x![1])).size !== 1) return false;
        token = m[0]![1]!;
        return true;
      },
      60_000,
      100,
    );
    const session = (side: string) => ({ cookie: `aws-cf-cd-session=${side}.${token}` });
    for (const p of POPS) {
      assert.equal(await fnAt(p, session('staging')), 'staged-2', `${p}: the staging session stays on staging`);
      assert.equal(await fnAt(p, session('primary')), 'demo-1', `${p}: the primary session stays on the primary`);
      const r = await fleet.get(p, '/missing', { host: 'demo.test', headers: session('staging') });
      assert.equal(r.status, 404);
      assert.match(r.header('set-cookie') ?? '', new RegExp(`^aws-cf-cd-session=staging\\.${token};`));
    }
    // Side by side: the three 404s count as 4xx on staging only; percentiles with p99.
    await until(
      'the staging 404s in the metrics',
      async () => (await api('GET', '/distributions/demo/staging')).body.metrics.staging.errors['4xx'] >= 3,
      30_000,
      200,
    );
    const m = (await api('GET', '/distributions/demo/staging')).body.metrics;
    assert.deepEqual(m.staging.errors, { '4xx': 3, '5xx': 0 });
    assert.equal(m.primary.errors['4xx'], 0);
    assert.ok(m.staging.requests >= 6 && m.staging.originLatencyP99 >= m.staging.originLatencyP50, JSON.stringify(m));
    const status = await cli(['staging', 'status', 'demo']);
    assert.match(status.stdout, /ORIGIN P50 +ORIGIN P99/);
    assert.match(status.stdout, /staging +\d+ +3 \(\d+\.\d%\) +0 \(0\.0%\)/);
  });

  test('promote makes the staged config the primary on every PoP; discard removes the staging', async () => {
    const genBefore = (await api('GET', '/distributions/demo')).body.generation;
    const promoted = await cli(['staging', 'promote', 'demo']);
    assert.equal(promoted.code, 0, promoted.stdout + promoted.stderr);
    await everywhere('demo without the header', {}, 'staged-2');
    const demo = (await api('GET', '/distributions/demo')).body;
    assert.ok(demo.generation > genBefore);
    assert.equal((await api('GET', '/triggers?distributionId=demo')).body.items[0].function, 'candidate:1');
    assert.deepEqual(demo.config.aliases, ['demo.test'], 'the primary keeps its host names');

    const refused = await api('DELETE', '/distributions/demo-staging');
    assert.equal(refused.status, 409, refused.text);
    assert.match(refused.body.error.message, /verge staging discard demo/);
    const gone = await cli(['staging', 'discard', 'demo']);
    assert.equal(gone.code, 0, gone.stdout + gone.stderr);
    assert.equal((await api('GET', '/distributions/demo-staging')).status, 404);
    assert.equal((await api('GET', '/distributions/demo')).body.config.continuousDeployment, undefined);
    await everywhere('demo with the old header', HEADER, 'staged-2');
  });
});
