/**
 * ManagedSync against a fake control plane (src/edge/sync/testing/fake-control.ts) and a real
 * edge with the real function runtime: apply + ack + last-known-good, refusal of corrupted and
 * truncated bundles and of bad checksums, invalidations, reconnects, empty snapshots, and a
 * restart that boots from disk while the control plane is down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { request } from 'undici';
import { memoryLogger } from '../../shared/log.js';
import type { DistributionConfig } from '../../shared/config/types.js';
import { startEdge, type Edge } from '../edge.js';
import { startOrigin, type ScriptedOrigin } from '../../../test/harness/origin.js';
import { ManagedSync } from './managed-sync.js';
import { startFakeControl, type FakeControl } from './testing/fake-control.js';

function bundle(tag: string): Buffer {
  const src = `exports.handler = async (event) => {
    const r = event.Records[0].cf.response;
    r.headers['x-fn'] = [{ key: 'X-Fn', value: ${JSON.stringify(tag)} }];
    return r;
  };`;
  return Buffer.from(zipSync({ 'index.js': strToU8(src) }));
}

function dist(originPort: number, sha: string | null, version = '1'): DistributionConfig {
  return {
    id: 'shop',
    aliases: ['shop.test'],
    origins: [{ id: 'o', domainName: '127.0.0.1', port: originPort, protocol: 'http', connectionAttempts: 1 }],
    defaultCacheBehavior: {
      targetOriginId: 'o',
      cachePolicy: 'CachingOptimized',
      ...(sha
        ? {
            functionAssociations: [
              { eventType: 'viewer-response', function: { path: `bundle:${sha}`, name: 'tagger', version } },
            ],
          }
        : {}),
    },
  };
}

async function get(edge: Edge, path: string, host = 'shop.test') {
  const r = await request(edge.url + path, { headers: { host } });
  await r.body.text();
  return {
    status: r.statusCode,
    fn: r.headers['x-fn'] as string | undefined,
    cache: r.headers['x-cache'] as string | undefined,
  };
}

describe('ManagedSync', () => {
  let control: FakeControl;
  let origin: ScriptedOrigin;
  let edge: Edge;
  let sync: ManagedSync;
  const dataDir = mkdtempSync(join(tmpdir(), 'verge-sync-'));
  const state = () =>
    JSON.parse(readFileSync(join(dataDir, 'snapshot', 'state.json'), 'utf8')) as {
      version: number;
      distributions: Record<string, number>;
    };
  const logger = memoryLogger();

  const startManaged = async (url: string) => {
    const s = new ManagedSync({
      control: { url, token: 'edge-token' },
      pop: 'p1',
      region: 'r1',
      dataDir,
      logger,
      backoffMs: { initial: 20, max: 200 },
    });
    const boot = await s.boot();
    const e = await startEdge({
      plan: boot.plan,
      host: '127.0.0.1',
      port: 0,
      geo: false,
      accessLog: 'off',
      logger,
      popId: 'p1',
    });
    s.start(e);
    return { s, e, boot };
  };

  before(async () => {
    control = await startFakeControl();
    origin = await startOrigin({ '/a': { headers: { 'cache-control': 'max-age=300' }, body: 'A' } });
    ({ s: sync, e: edge } = await startManaged(control.url));
  });
  after(async () => {
    await sync.stop();
    await edge.close();
    await control.close();
    await origin.close();
  });

  test('starts with no distributions (403) and registers with applied version 0', async () => {
    assert.equal((await get(edge, '/a')).status, 403);
    for (let i = 0; i < 100 && control.registrations.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      control.registrations.map((r) => [r.pop, r.region, r.appliedVersion]),
      [['p1', 'r1', 0]],
    );
  });

  test('applies a snapshot: downloads the bundle, serves the function, persists last-known-good, acks', async () => {
    const sha = control.addBundle(bundle('v1'), 'tagger', '1');
    const s = control.publish([dist(origin.port, sha)]);
    const ack = await control.waitForAck('p1', s.version);
    assert.equal(ack.ok, true, ack.error);
    assert.equal(sync.appliedVersion, s.version);
    assert.equal((await get(edge, '/a')).fn, 'v1');
    assert.ok(existsSync(join(dataDir, 'bundles', `${sha}.zip`)));
    assert.deepEqual(state(), { version: s.version, distributions: { shop: s.version } });
    assert.deepEqual(ack.distributions, { shop: { generation: s.version, wanted: s.version, ok: true } });
    const gen = join(dataDir, 'snapshot', 'dists', 'shop', `${s.version}.json`);
    assert.deepEqual(JSON.parse(readFileSync(gen, 'utf8')).config, s.distributions[0]);
    // Generations carry secret env values: the copy on disk is readable by its owner only.
    assert.equal(statSync(gen).mode & 0o777, 0o600);
  });

  test('a corrupted bundle is refused by its hash; the old version keeps serving', async () => {
    const good = bundle('v2');
    const sha = control.addBundle(good, 'tagger', '2');
    const bad = Buffer.from(good);
    bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0xff;
    control.blobs.set(sha, bad);
    const s = control.publish([dist(origin.port, sha, '2')]);
    const ack = await control.waitForAck('p1', s.version);
    assert.equal(ack.ok, false);
    assert.match(ack.error ?? '', /REPLICATION_FAILED: bundle tagger:2 .* refused: its sha256 is/);
    assert.equal((await get(edge, '/a')).fn, 'v1');
    assert.ok(!existsSync(join(dataDir, 'bundles', `${sha}.zip`)));
    // The distribution keeps its previous generation, and says so per distribution.
    assert.deepEqual(state().distributions, { shop: s.version - 1 });
    assert.equal(ack.distributions?.shop?.ok, false);
    assert.equal(ack.distributions?.shop?.generation, s.version - 1);
  });

  test('a truncated bundle is refused and the message says so', async () => {
    const good = bundle('v3');
    const sha = control.addBundle(good, 'tagger', '3');
    control.blobs.set(sha, good.subarray(0, good.length - 10));
    const s = control.publish([dist(origin.port, sha, '3')]);
    const ack = await control.waitForAck('p1', s.version);
    assert.equal(ack.ok, false);
    assert.match(ack.error ?? '', /truncated/);
    assert.equal((await get(edge, '/a')).fn, 'v1');
  });

  test('a snapshot whose content does not match its checksum is refused', async () => {
    const sha = control.addBundle(bundle('v4'), 'tagger', '4');
    const s = control.publish([dist(origin.port, sha, '4')]);
    // Tamper after publishing: the document served no longer hashes to its checksum.
    s.distributions[0]!.comment = 'tampered';
    const ack = await control.waitForAck('p1', s.version);
    assert.equal(ack.ok, false);
    assert.match(ack.error ?? '', /checksum mismatch/);
    assert.equal((await get(edge, '/a')).fn, 'v1');
  });

  test('an invalidation empties the cache for its paths and is acked with the count', async () => {
    const sha = control.addBundle(bundle('v5'), 'tagger', '5');
    const s = control.publish([dist(origin.port, sha, '5')]);
    assert.equal((await control.waitForAck('p1', s.version)).ok, true);
    await get(edge, '/a');
    assert.equal((await get(edge, '/a')).cache, 'Hit from verge');
    const before = origin.count('/a');
    const id = control.invalidate({ distributionId: 'shop', paths: ['/a'], tags: [] });
    for (let i = 0; i < 200 && !control.invalidationAcks.some((a) => a.id === id); i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(
      control.invalidationAcks.find((a) => a.id === id),
      { id, pop: 'p1', removed: 1 },
    );
    assert.equal((await get(edge, '/a')).cache, 'Miss from verge');
    assert.equal(origin.count('/a'), before + 1);
  });

  test('after the stream drops, the edge reconnects from its applied version and takes new snapshots', async () => {
    const regs = control.registrations.length;
    control.dropStreams();
    const sha = control.addBundle(bundle('v6'), 'tagger', '6');
    for (let i = 0; i < 200 && control.registrations.length === regs; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(control.registrations.at(-1)!.appliedVersion, sync.appliedVersion);
    const s = control.publish([dist(origin.port, sha, '6')]);
    assert.equal((await control.waitForAck('p1', s.version)).ok, true);
    assert.equal((await get(edge, '/a')).fn, 'v6');
  });

  test('a restarted edge boots from last-known-good with the control plane down', async () => {
    const applied = sync.appliedVersion;
    await sync.stop();
    await edge.close();
    const down = 'http://127.0.0.1:1';
    const restarted = await startManaged(down);
    sync = restarted.s;
    edge = restarted.e;
    assert.equal(restarted.boot.version, applied);
    const r = await get(edge, '/a');
    assert.equal(r.status, 200);
    assert.equal(r.fn, 'v6');
    assert.ok(logger.lines.some((l) => l.msg === 'control plane connection lost; retrying'));
  });

  test('a corrupted bundle on disk costs that distribution its newest generation: boot falls back to the one before', async () => {
    await sync.stop();
    await edge.close();
    const st = state();
    const newest = st.distributions.shop!;
    const gens = readdirSync(join(dataDir, 'snapshot', 'dists', 'shop')).map((n) => Number(n.replace('.json', '')));
    const older = Math.max(...gens.filter((g) => g < newest));
    const g = JSON.parse(readFileSync(join(dataDir, 'snapshot', 'dists', 'shop', `${newest}.json`), 'utf8'));
    writeFileSync(join(dataDir, 'bundles', `${Object.keys(g.bundles)[0]}.zip`), 'garbage');
    const restarted = await startManaged('http://127.0.0.1:1');
    sync = restarted.s;
    edge = restarted.e;
    await sync.restore(edge);
    assert.equal((await get(edge, '/a')).fn, 'v5', `generation ${older} serves`);
    assert.ok(logger.lines.some((l) => l.msg === 'a stored generation is damaged; trying an older one'));
  });

  test('a truncated state file and a truncated newest generation: the PoP still serves from the folders', async () => {
    await sync.stop();
    await edge.close();
    const statePath = join(dataDir, 'snapshot', 'state.json');
    writeFileSync(statePath, readFileSync(statePath, 'utf8').slice(0, 10));
    const dir = join(dataDir, 'snapshot', 'dists', 'shop');
    const newest = Math.max(...readdirSync(dir).map((n) => Number(n.replace('.json', ''))));
    const file = join(dir, `${newest}.json`);
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 50));
    const restarted = await startManaged(control.url);
    sync = restarted.s;
    edge = restarted.e;
    await sync.restore(edge);
    assert.equal((await get(edge, '/a')).status, 200, 'an older generation serves, not 403');
    // The control plane then sends the latest snapshot again; the damaged bundle is fetched anew.
    const latest = Math.max(...control.acks.map((a) => a.version));
    await sync.waitForVersion(latest);
    await control.waitForAck('p1', latest);
    for (let i = 0; i < 200 && (await get(edge, '/a')).fn !== 'v6'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await get(edge, '/a')).fn, 'v6');
  });

  test('distributions activate on their own: one whose function does not load keeps its previous generation and holds no other back', async () => {
    const staging = (sha: string, v: string): DistributionConfig => ({
      ...dist(origin.port, sha, v),
      id: 'staging',
      aliases: ['staging.test'],
    });
    const shopSha = control.addBundle(bundle('v7'), 'tagger', '7');
    const goodSha = control.addBundle(bundle('stage-1'), 'stager', '1');
    const s1 = control.publish([dist(origin.port, shopSha, '7'), staging(goodSha, '1')]);
    assert.equal((await control.waitForAck('p1', s1.version)).ok, true);
    assert.equal((await get(edge, '/a', 'staging.test')).fn, 'stage-1');
    // A bundle that is whole (its hash matches) but does not compile: only the PoP can refuse it here.
    const badSha = control.addBundle(
      Buffer.from(zipSync({ 'index.js': strToU8('exports.handler = ;') })),
      'stager',
      '2',
    );
    const s2 = control.publish([dist(origin.port, shopSha, '7'), staging(badSha, '2')]);
    const a2 = await control.waitForAck('p1', s2.version);
    assert.equal(a2.ok, false);
    assert.equal(a2.distributions?.staging?.ok, false);
    assert.equal(a2.distributions?.staging?.generation, s1.version);
    assert.match(a2.distributions?.staging?.error ?? '', /FUNCTION_LOAD_ERROR: [\s\S]*index\.js:1/);
    assert.deepEqual(a2.distributions?.shop, { generation: s1.version, wanted: s1.version, ok: true });
    assert.equal((await get(edge, '/a', 'staging.test')).fn, 'stage-1', 'the previous generation keeps serving');
    // A change to shop while staging stays refused: shop goes live, staging is not retried.
    const shop8 = control.addBundle(bundle('v8'), 'tagger', '8');
    const s3 = control.publish([dist(origin.port, shop8, '8'), staging(badSha, '2')]);
    const a3 = await control.waitForAck('p1', s3.version);
    assert.deepEqual(a3.distributions?.shop, { generation: s3.version, wanted: s3.version, ok: true });
    assert.equal(a3.distributions?.staging?.ok, false);
    assert.equal((await get(edge, '/a')).fn, 'v8');
    assert.equal((await get(edge, '/a', 'staging.test')).fn, 'stage-1');
    assert.deepEqual(state().distributions, { shop: s3.version, staging: s1.version });
  });

  test('a snapshot with no distributions is valid: every host gets 403', async () => {
    const s = control.publish([]);
    assert.equal((await control.waitForAck('p1', s.version)).ok, true);
    assert.equal((await get(edge, '/a')).status, 403);
    assert.equal(edge.plan().distributions.length, 0);
  });
});
