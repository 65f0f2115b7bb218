/**
 * Distributions deploy independently (issue 10, item 2; issue 9's last-known-good bullet), over
 * three real `verge edge --control` processes. A staging distribution whose function the PoPs
 * refuse keeps its previous generation on every PoP and does not hold back a change to `demo`;
 * status is per distribution and per PoP in the API and `verge deploy --wait --distribution`;
 * `verge rollback --distribution` rolls one distribution back; and with the control plane down,
 * a PoP whose newest `demo` generation is damaged on disk restarts serving an older one (and
 * `staging` as it was) instead of 403 for every host. Before this change the snapshot was
 * refused whole: `demo` stayed InProgress and every PoP kept the old `demo`.
 *
 * The refused version is written into the store the way a Verge without the deploy gate
 * published it (the gate now refuses it at the API): a whole bundle that does not compile.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { sha256Hex } from '../../src/control/compile/snapshot.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { startFleet, type Fleet } from '../harness/pops.js';
import { taggerSource, until } from '../harness/replication.js';
import { runVerge } from '../harness/cli.js';

const POPS = ['p1', 'p2', 'p3'];

describe('distributions deploy independently', () => {
  let fleet: Fleet;
  let origin: ScriptedOrigin;
  const api = (method: string, path: string, body?: unknown) => fleet.t.api(method, path, body);
  const cli = (args: string[]) =>
    runVerge(args, { url: fleet.t.control.url, token: fleet.t.adminToken, dir: fleet.t.dir });
  const fnAt = async (pop: string, host: string) => (await fleet.get(pop, '/item', { host })).header('x-fn');
  const everywhere = (host: string, tag: string) =>
    until(
      `every PoP answering ${host} with X-Fn: ${tag}`,
      async () => (await Promise.all(POPS.map((p) => fnAt(p, host)))).every((t) => t === tag),
      60_000,
      100,
    );

  const distribution = (id: string) => ({
    id,
    aliases: [`${id}.test`],
    origins: [{ id: 'o', domainName: '127.0.0.1', port: origin.port, protocol: 'http', connectionAttempts: 1 }],
    defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingDisabled' },
  });
  async function attach(dist: string, fn: string, tag: string): Promise<number> {
    const code = { source: taggerSource(tag) };
    const exists = (await api('GET', `/functions/${fn}`)).status === 200;
    const r = exists
      ? await api('PUT', `/functions/${fn}/code`, { code })
      : await api('POST', '/functions', { name: fn, runtime: 'nodejs', code });
    assert.ok(r.status < 300, r.text);
    const v = await api('POST', `/functions/${fn}/publish`, {});
    assert.equal(v.status, 201, v.text);
    const t = await api('POST', '/triggers', {
      distributionId: dist,
      behavior: 'default',
      eventType: 'viewer-response',
      function: `${fn}:${v.body.version}`,
    });
    assert.equal(t.status, 201, t.text);
    return (await api('GET', `/distributions/${dist}`)).body.generation;
  }

  before(async () => {
    origin = await startOrigin({ '*': { headers: { 'cache-control': 'no-store' }, body: 'item' } });
    fleet = await startFleet({ pops: POPS });
    for (const id of ['demo', 'staging'])
      assert.equal((await api('POST', '/distributions', distribution(id))).status, 201);
    await attach('demo', 'tag', 'demo-1');
    await attach('staging', 'stage', 'stage-1');
    await everywhere('demo.test', 'demo-1');
    await everywhere('staging.test', 'stage-1');
  });
  after(async () => {
    await fleet?.close();
    await origin?.close();
  });

  let stagingGood = 0;

  test('a refused staging function keeps its previous generation and does not hold back a change to demo', async () => {
    stagingGood = (await api('GET', '/distributions/staging')).body.generation;
    // stage:2, a whole bundle that does not compile, attached as an older Verge would have let it be.
    const { store } = fleet.t.control.app;
    const zip = zipSync({
      'index.js': strToU8(
        'exports.handler = async (event) => {\n  return event.Records[0].cf.response\n  const = 1;\n};\n',
      ),
    });
    const sha = sha256Hex(zip);
    const v1 = (await store.functions.version('stage', 1))!;
    await fleet.t.control.app.change('stage:2 attached to staging default viewer-response', async () => {
      await store.blobs.put(sha, 'bundle', Buffer.from(zip));
      await store.functions.insertVersion({
        ...v1,
        version: 2,
        sha256: sha,
        size: zip.byteLength,
        createdAt: Date.now(),
      });
      const t = (await store.triggers.list({ distributionId: 'staging' }))[0]!;
      await store.triggers.replace({ ...t, functionVersion: 2, revision: t.revision + 1 });
    });
    const refusedGen = (await api('GET', '/distributions/staging')).body.generation;
    await until(
      'every PoP refused staging',
      async () => {
        const d = (await api('GET', '/distributions/staging')).body;
        return POPS.every((p) => d.pops[p]?.status === 'Refused');
      },
      60_000,
      100,
    );
    const staging = (await api('GET', '/distributions/staging')).body;
    assert.equal(staging.status, 'InProgress');
    for (const p of POPS) {
      assert.equal(staging.pops[p].generation, stagingGood, `${p} keeps serving the previous generation`);
      assert.match(staging.pops[p].error, /FUNCTION_LOAD_ERROR/);
      assert.equal(await fnAt(p, 'staging.test'), 'stage-1');
    }
    assert.match(staging.statusText, /refused it and keep serving generation \d+: FUNCTION_LOAD_ERROR/);
    assert.ok(refusedGen > stagingGood);

    // A change to demo goes live on every PoP while staging stays refused.
    const demoGen = await attach('demo', 'tag', 'demo-2');
    await everywhere('demo.test', 'demo-2');
    await until(
      'demo Deployed',
      async () => (await api('GET', '/distributions/demo')).body.status === 'Deployed',
      30_000,
      100,
    );
    const demo = (await api('GET', '/distributions/demo')).body;
    for (const p of POPS) assert.deepEqual([demo.pops[p].status, demo.pops[p].generation], ['Deployed', demoGen]);
    for (const p of POPS) assert.equal(await fnAt(p, 'staging.test'), 'stage-1');

    const ok = await cli(['deploy', '--wait', '--distribution', 'demo', '--timeout', '60']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(
      ok.stdout,
      new RegExp(
        `Deployed v${demoGen} to 3/3 PoPs in \\d+\\.\\d s from the change to the last acknowledgement \\(demo: Deployed\\)`,
      ),
    );
    const refused = await cli(['deploy', '--wait', '--distribution', 'staging', '--timeout', '60']);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /distribution staging at v\d+ was refused by p\d: FUNCTION_LOAD_ERROR/);
  });

  test('verge rollback --distribution puts staging back alone; demo keeps its generation', async () => {
    const demoBefore = (await api('GET', '/distributions/demo')).body.generation;
    const hist = await cli(['deploy', 'history', '--distribution', 'staging']);
    assert.equal(hist.code, 0, hist.stderr);
    assert.match(hist.stdout, new RegExp(`v${stagingGood}\\b`));
    const r = await cli([
      'rollback',
      '--distribution',
      'staging',
      '--to',
      String(stagingGood),
      '--wait',
      '--timeout',
      '60',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /rolled back: distribution staging has what snapshot \d+ served, as generation \d+/);
    const staging = (await api('GET', '/distributions/staging')).body;
    assert.equal(staging.status, 'Deployed');
    assert.equal((await api('GET', '/distributions/demo')).body.generation, demoBefore);
    assert.equal((await api('GET', '/triggers?distributionId=staging')).body.items[0].function, 'stage:1');
    for (const p of POPS) assert.equal(await fnAt(p, 'staging.test'), 'stage-1');
    const bad = await api('POST', '/distributions/staging/rollback', { to: 99999 });
    assert.equal(bad.status, 404, bad.text);
  });

  test('control plane down: a PoP whose newest demo generation is damaged restarts on an older one, staging intact', async () => {
    await fleet.stop('p1');
    await fleet.t.control.close();
    const dir = join(fleet.t.dir, 'edge-p1', 'snapshot');
    const gens = readdirSync(join(dir, 'dists', 'demo'))
      .map((n) => Number(n.replace('.json', '')))
      .sort((a, b) => b - a);
    assert.ok(gens.length >= 2, `older demo generations are kept: ${gens.join(', ')}`);
    const newest = join(dir, 'dists', 'demo', `${gens[0]}.json`);
    writeFileSync(newest, readFileSync(newest, 'utf8').slice(0, 40));
    const state = join(dir, 'state.json');
    writeFileSync(state, readFileSync(state, 'utf8').slice(0, 12));
    await fleet.start('p1');
    assert.equal(
      await fnAt('p1', 'demo.test'),
      'demo-1',
      `the older demo generation serves:\n${fleet.output('p1').slice(-2000)}`,
    );
    assert.equal(await fnAt('p1', 'staging.test'), 'stage-1');
    assert.match(fleet.output('p1'), /a stored generation is damaged; trying an older one/);
  });
});
