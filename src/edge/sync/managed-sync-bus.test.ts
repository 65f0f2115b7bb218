/**
 * ManagedSync fed by a watch source that is not the control plane (NATS with `--nats`: anyone
 * who can write its KV bucket or stream speaks here). A pointer to a snapshot the control plane
 * never made is refused without holding back the genuine snapshots announced after it (it used
 * to shadow every lower version until the PoP restarted), and malformed invalidation events are
 * refused with a log line: `null` used to end in an unhandled rejection (which ends a Node
 * process), `"paths": "/*"` purged the distribution character by character, and one without a
 * distribution was acknowledged; none may purge another distribution's objects, and a
 * well-formed one afterwards works.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { memoryLogger } from '../../shared/log.js';
import type { DistributionConfig } from '../../shared/config/types.js';
import { startEdge, type Edge } from '../edge.js';
import { startOrigin, type ScriptedOrigin } from '../../../test/harness/origin.js';
import { ManagedSync } from './managed-sync.js';
import type { WatchSource } from './nats-watch.js';
import type { SseEvent } from './sse.js';
import { startFakeControl, type FakeControl } from './testing/fake-control.js';

/** A watch source the test speaks through, as a NATS KV watch and stream consumer would. */
class ScriptedWatch implements WatchSource {
  #emit: ((ev: SseEvent) => void) | null = null;
  watch(_after: number, onEvent: (ev: SseEvent) => void, opts: { signal: AbortSignal; onOpen?: () => void }) {
    this.#emit = onEvent;
    opts.onOpen?.();
    return new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  send(event: string, data: unknown): void {
    assert.ok(this.#emit, 'the sync is watching');
    this.#emit({ event, data: typeof data === 'string' ? data : JSON.stringify(data) });
  }
  get open(): boolean {
    return this.#emit !== null;
  }
}

function dist(id: string, originPort: number): DistributionConfig {
  return {
    id,
    aliases: [`${id}.test`],
    origins: [{ id: 'o', domainName: '127.0.0.1', port: originPort, protocol: 'http', connectionAttempts: 1 }],
    defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingOptimized' },
  };
}

const until = async (cond: () => boolean, what: string, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.ok(cond(), `not reached in ${ms} ms: ${what}`);
};

describe('ManagedSync fed by the bus', () => {
  let control: FakeControl;
  let origin: ScriptedOrigin;
  let edge: Edge;
  let sync: ManagedSync;
  const bus = new ScriptedWatch();
  const logger = memoryLogger();

  before(async () => {
    control = await startFakeControl();
    origin = await startOrigin({ '*': { headers: { 'cache-control': 'max-age=300' }, body: 'x' } });
    sync = new ManagedSync({
      control: { url: control.url, token: 'edge-token' },
      pop: 'p1',
      region: 'r1',
      dataDir: mkdtempSync(join(tmpdir(), 'verge-sync-bus-')),
      logger,
      backoffMs: { initial: 20, max: 200 },
      watchSource: bus,
    });
    const boot = await sync.boot();
    edge = await startEdge({ plan: boot.plan, host: '127.0.0.1', port: 0, geo: false, accessLog: 'off', logger });
    sync.start(edge);
    await until(() => bus.open, 'the watch opened');
  });
  after(async () => {
    await sync?.stop();
    await edge?.close();
    await control?.close();
    await origin?.close();
  });

  const cacheOf = async (host: string, path: string) => {
    const r = await request(edge.url + path, { headers: { host } });
    await r.body.text();
    return String(r.headers['x-cache']);
  };

  test('malformed invalidations are refused, and purge nothing of another distribution', async () => {
    const s = control.publish([dist('shop', origin.port), dist('blog', origin.port)]);
    bus.send('snapshot', { version: s.version, checksum: s.checksum });
    await until(() => sync.appliedVersion === s.version, 'the snapshot applied');
    assert.equal(await cacheOf('shop.test', '/a'), 'Miss from verge');
    assert.equal(await cacheOf('blog.test', '/a'), 'Miss from verge');
    const acks = control.invalidationAcks.length;
    for (const bad of [
      'null',
      '[1]',
      'not json',
      { id: 'i1', paths: ['/*'], tags: [] },
      { id: 'i2', distributionId: 'shop', paths: '/*', tags: [] },
      { id: 'i3', distributionId: 'shop', paths: [7], tags: [] },
      { id: '', distributionId: 'shop', paths: ['/*'], tags: [] },
      { id: 'i5', distributionId: { toString: 'shop' }, paths: ['/*'], tags: [] },
    ])
      bus.send('invalidation', bad);
    await until(
      () => logger.lines.filter((l) => l.msg === 'bad event on the watch stream').length >= 8,
      'all eight bad events logged',
    );
    assert.equal(await cacheOf('shop.test', '/a'), 'Hit from verge');
    assert.equal(await cacheOf('blog.test', '/a'), 'Hit from verge');
    bus.send('invalidation', { id: 'good', distributionId: 'shop', paths: ['/*'], tags: [] });
    await until(() => control.invalidationAcks.some((a) => a.id === 'good'), 'the good one acknowledged');
    assert.deepEqual(
      control.invalidationAcks.slice(acks).map((a) => a.id),
      ['good'],
      'nothing was acknowledged for the bad ones',
    );
    assert.equal(await cacheOf('shop.test', '/a'), 'Miss from verge');
    assert.equal(await cacheOf('blog.test', '/a'), 'Hit from verge');
  });

  test('a pointer to a snapshot that does not exist does not hold back the genuine ones', async () => {
    bus.send('snapshot', { version: 1_000_000, checksum: 'a'.repeat(64) });
    await until(
      () => logger.lines.some((l) => String(l.msg).startsWith('snapshot refused') && l.version === 1_000_000),
      'the forged pointer refused',
    );
    const next = control.publish([dist('shop', origin.port)]);
    bus.send('snapshot', { version: next.version, checksum: next.checksum });
    await until(() => sync.appliedVersion === next.version, `snapshot ${next.version} applied after the forged one`);
  });
});
