/**
 * A `resync` on the watch stream (invalidations were lost) drops every distribution's cached
 * objects through `SyncTarget.invalidate`, which a PoP of several workers answers with a promise.
 * When that promise fails (a worker gone), the PoP logs it and keeps syncing; before, the promise
 * was dropped and its rejection went unhandled, which ends a Node process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../shared/log.js';
import { ManagedSync, type SyncTarget } from './managed-sync.js';
import { startFakeControl, type FakeControl } from './testing/fake-control.js';

let control: FakeControl;
let sync: ManagedSync;
const logger = memoryLogger();
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
const asked: string[] = [];

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  control = await startFakeControl();
  sync = new ManagedSync({
    control: { url: control.url, token: 'edge-token' },
    pop: 'p1',
    region: 'r1',
    dataDir: mkdtempSync(join(tmpdir(), 'verge-resync-')),
    logger,
    backoffMs: { initial: 20, max: 200 },
  });
  await sync.boot();
  const target: SyncTarget = {
    applyPlan: async () => {},
    invalidate: async (req) => {
      asked.push(req.distributionId);
      throw new Error('worker 2 is gone');
    },
  };
  sync.start(target);
});
after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await sync?.stop();
  await control?.close();
});

test('a failed invalidation on resync is logged, not left unhandled; the PoP keeps syncing', async () => {
  const origin = { id: 'o', domainName: '127.0.0.1', port: 9, protocol: 'http' as const };
  const shop = { id: 'shop', aliases: ['shop.test'], origins: [origin], defaultCacheBehavior: { targetOriginId: 'o' } };
  const first = control.publish([shop]);
  await control.waitForAck('p1', first.version);
  control.resync();
  const deadline = Date.now() + 10_000;
  const failed = () => logger.lines.find((r) => r.msg === 'cache not dropped after a resync');
  while (!failed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(asked, ['shop']);
  assert.equal(failed()?.level, 'warn');
  assert.match(String(failed()?.error), /worker 2 is gone/);
  // A turn of the event loop for a rejection nobody handled to be reported.
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(unhandled, []);
  const next = control.publish([{ ...shop, aliases: ['shop.test', 'www.shop.test'] }]);
  assert.equal((await control.waitForAck('p1', next.version)).ok, true, 'the PoP still takes snapshots');
});
