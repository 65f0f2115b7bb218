/**
 * ManagedSync against a fake control plane (src/edge/sync/testing/fake-control.ts) and a real
 * edge with the real function runtime: apply + ack + last-known-good, refusal of corrupted and
 * truncated bundles and of bad checksums, invalidations, reconnects, empty snapshots, and a
 * restart that boots from disk while the control plane is down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
    const lkg = JSON.parse(readFileSync(join(dataDir, 'snapshot', 'last-known-good.json'), 'utf8'));
    assert.equal(lkg.version, s.version);
    assert.equal(lkg.checksum, s.checksum);
    // Snapshots carry secret env values: the copy on disk is readable by its owner only.
    assert.equal(statSync(join(dataDir, 'snapshot', 'last-known-good.json')).mode & 0o777, 0o600);
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
    assert.equal(
      JSON.parse(readFileSync(join(dataDir, 'snapshot', 'last-known-good.json'), 'utf8')).version,
      s.version - 1,
    );
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

  test('a corrupted bundle on disk makes boot start empty rather than load it', async () => {
    await sync.stop();
    await edge.close();
    const lkg = JSON.parse(readFileSync(join(dataDir, 'snapshot', 'last-known-good.json'), 'utf8'));
    const sha = Object.keys(lkg.bundles)[0]!;
    writeFileSync(join(dataDir, 'bundles', `${sha}.zip`), 'garbage');
    const restarted = await startManaged(control.url);
    sync = restarted.s;
    edge = restarted.e;
    assert.equal(restarted.boot.version, 0);
    // The control plane then sends the latest snapshot again, the bundle is fetched anew.
    const acksBefore = control.acks.filter((a) => a.version === lkg.version).length;
    await sync.waitForVersion(lkg.version);
    for (let i = 0; i < 200 && control.acks.filter((a) => a.version === lkg.version).length === acksBefore; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(control.acks.filter((a) => a.version === lkg.version && a.ok).length, acksBefore + 1);
    assert.equal((await get(edge, '/a')).fn, 'v6');
  });

  test('a snapshot with no distributions is valid: every host gets 403', async () => {
    const s = control.publish([]);
    assert.equal((await control.waitForAck('p1', s.version)).ok, true);
    assert.equal((await get(edge, '/a')).status, 403);
    assert.equal(edge.plan().distributions.length, 0);
  });
});
