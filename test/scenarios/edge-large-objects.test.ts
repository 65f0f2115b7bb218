/**
 * @module test/scenarios/edge-large-objects
 * Issue 12, cacheable objects that stream: against a spawned `verge edge` with a disk cache (its
 * open files are its own), a pattern origin (test/harness/pattern-origin.ts) whose bodies are
 * never held in memory, on either side. The first bytes of a miss reach the viewer before the
 * origin has finished, and the object is a Hit after; a viewer that arrives while the object is
 * being written reads it from byte 0 as it arrives, not after it completes; a Range on a cold
 * object is answered before the object is complete, and If-Range decides between 206 and 200; an
 * origin that dies mid-body cuts its viewer off and leaves nothing stored (the next request is a
 * Miss and a full fetch); a slow viewer and one that leaves do not hold up the fetch for a fast
 * one; no file descriptor is left open after, and no listener warning is printed. An object over
 * the per-object limit streams through, is not stored, and the log says why. The big ones (a
 * 1 GiB Hit with the RSS bounded, 8 viewers of 512 MiB) are in edge-large-collapse.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { distribution, startTestEdge, writePatternDistribution } from '../harness/edge.js';
import { spawnEdge, type EdgeProcess } from '../harness/edge-process.js';
import {
  HOLD,
  hashedGet,
  patternHash,
  patternRangeHash,
  startPatternOrigin,
  type GetOpts,
  type Got,
  type PatternOrigin,
} from '../harness/pattern-origin.js';

// bin/verge.js runs src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';

const MiB = 1024 * 1024;

describe('large cacheable objects stream through a spawned edge', { timeout: 280_000 }, () => {
  let origin: PatternOrigin;
  let edge: EdgeProcess;
  let dir: string;
  let agent: Agent;

  const get = (path: string, o: GetOpts = {}): Promise<Got> => hashedGet(edge.url, path, agent, o);
  const xcache = (g: Got) => String(g.headers['x-cache']);
  const openFds = () => readdirSync(`/proc/${edge.child.pid}/fd`).length;

  before(async () => {
    origin = await startPatternOrigin();
    dir = mkdtempSync(join(tmpdir(), 'verge-large-'));
    const cfg = writePatternDistribution(dir, origin.port);
    edge = await spawnEdge(cfg, ['--data-dir', join(dir, 'pop'), '--cache-size', '64', '--cache-disk-size', '3072']);
    agent = new Agent({ connections: 16 });
  });
  after(async () => {
    await agent?.close();
    await edge?.stop();
    await origin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let fdsBefore = 0;
  test('the first bytes of a miss arrive before the origin has finished; then it is a Hit', async () => {
    fdsBefore = openFds();
    const size = 8 * MiB;
    const path = `/obj/1/${size}/hold`;
    let finishedAtFirstBytes = true;
    // An edge that waited for the whole object would wait forever: let the origin go on after
    // 20 s so that edge fails the assertion below instead of hanging the test.
    const fallback = setTimeout(() => origin.release(path), 20_000);
    const miss = await get(path, {
      at: {
        n: HOLD,
        then: () => {
          finishedAtFirstBytes = origin.finished(path);
          origin.release(path);
        },
      },
    });
    clearTimeout(fallback);
    assert.equal(finishedAtFirstBytes, false, 'the viewer had its first MiB only after the origin finished');
    assert.equal(miss.status, 200);
    assert.equal(miss.error, null);
    assert.equal(miss.hash, patternHash(1, size));
    assert.match(xcache(miss), /^Miss/);
    const hit = await get(path);
    assert.match(xcache(hit), /^Hit/);
    assert.equal(hit.hash, patternHash(1, size));
    assert.equal(origin.hits(path), 1);
  });

  test('a viewer arriving while the object is written reads it from byte 0 as it arrives', async () => {
    const size = 8 * MiB;
    const path = `/obj/9/${size}/hold`;
    const fallback = setTimeout(() => origin.release(path), 20_000); // as above
    let followerBeforeEnd = false;
    const leader = get(path, {
      at: {
        n: HOLD,
        then: async () => {
          // The leader has the held MiB: the object is being written. A second viewer now:
          const follower = await get(path, {
            at: { n: HOLD, then: () => void (followerBeforeEnd = !origin.finished(path)) },
            leaveAfter: HOLD,
          });
          assert.match(xcache(follower), /^Hit/);
          origin.release(path);
        },
      },
    });
    const l = await leader;
    clearTimeout(fallback);
    assert.equal(followerBeforeEnd, true, 'the second viewer got its first MiB only after the object was complete');
    assert.equal(l.hash, patternHash(9, size));
    const whole = await get(path);
    assert.equal(whole.hash, patternHash(9, size));
    assert.equal(origin.hits(path), 1);
  });

  test('a Range on a cold object is answered before the object is complete; If-Range decides 206 or 200', async () => {
    const size = 8 * MiB;
    const path = `/obj/2/${size}/hold`;
    const fallback = setTimeout(() => origin.release(path), 20_000); // as above
    const part = await get(path, { headers: { range: 'bytes=1000-1999' } });
    clearTimeout(fallback);
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 1000-1999/${size}`);
    assert.equal(part.hash, patternRangeHash(2, 1000, 2000));
    assert.equal(origin.finished(path), false, 'the range was answered only after the whole object arrived');
    origin.release(path);
    // A range past the held part follows the object as it arrives.
    const late = await get(path, { headers: { range: `bytes=${size - 100}-` } });
    assert.equal(late.status, 206);
    assert.equal(late.hash, patternRangeHash(2, size - 100, size));
    const r = { range: 'bytes=0-9' };
    assert.equal((await get(path, { headers: { ...r, 'if-range': `"2-${size}"` } })).status, 206);
    assert.equal((await get(path, { headers: { ...r, 'if-range': 'Wed, 01 Jan 2025 00:00:00 GMT' } })).status, 206);
    const other = await get(path, { headers: { ...r, 'if-range': '"other"' } });
    assert.equal(other.status, 200);
    assert.equal(other.bytes, size);
    assert.equal((await get(path, { headers: { ...r, 'if-range': 'Thu, 02 Jan 2025 00:00:00 GMT' } })).status, 200);
    assert.equal(origin.hits(path), 1);
  });

  test('an origin that dies mid-body cuts the viewer off and leaves nothing stored', async () => {
    const size = 32 * MiB;
    const path = `/obj/3/${size}/die`;
    const cut = await get(path);
    assert.equal(cut.status, 200);
    assert.ok(cut.error !== null || cut.bytes < size, 'a short body was delivered as complete');
    assert.ok(cut.bytes < size);
    const again = await get(path);
    assert.match(xcache(again), /^Miss/, 'the partial object was served from the cache');
    assert.equal(again.bytes, size);
    assert.equal(again.hash, patternHash(3, size));
    assert.equal(origin.hits(path), 2);
    assert.match(xcache(await get(path)), /^Hit/);
  });

  test('a slow viewer and one that leaves do not hold up the fetch for the others', async () => {
    const size = 96 * MiB;
    const path = `/obj/6/${size}/plain`;
    let resumeSlow!: () => void;
    const slowPaused = new Promise<void>((r) => (resumeSlow = r));
    let slowAt!: () => void;
    const slowStarted = new Promise<void>((r) => (slowAt = r));
    const slow = get(path, {
      at: {
        n: 1,
        then: async () => {
          slowAt();
          await slowPaused;
        },
      },
    });
    await slowStarted;
    const gone = await get(path, { leaveAfter: MiB });
    assert.ok(gone.bytes >= MiB);
    const fast = await get(path);
    assert.equal(fast.hash, patternHash(6, size));
    // The fast viewer got every byte while the slow one was paused near the start: the fetch
    // went on at the origin's pace, not the slowest viewer's.
    resumeSlow();
    const s = await slow;
    assert.equal(s.error, null);
    assert.equal(s.hash, patternHash(6, size));
    assert.equal(origin.hits(path), 1);
    assert.match(xcache(await get(path, { leaveAfter: 1 })), /^Hit/);
  });

  test('nothing is left open: the edge holds no more files than before', async () => {
    await agent.close();
    agent = new Agent({ connections: 16 });
    // Closed viewer connections and finished fills release their descriptors within moments.
    let fds = openFds();
    for (let i = 0; i < 50 && fds > fdsBefore; i++) {
      await new Promise((r) => setTimeout(r, 100));
      fds = openFds();
    }
    assert.ok(fds <= fdsBefore, `${fdsBefore} descriptors before, ${fds} after`);
    assert.doesNotMatch(edge.output(), /MaxListenersExceeded|Warning:/);
  });
});

describe('an object over the per-object limit', () => {
  test('streams through, is not stored, and the log says why', async () => {
    const origin = await startPatternOrigin();
    const dataDir = mkdtempSync(join(tmpdir(), 'verge-limit-'));
    const te = await startTestEdge({
      configs: [distribution(origin.port)],
      dataDir,
      cacheMaxObjectBytes: 4 * MiB,
    });
    try {
      const size = 6 * MiB;
      const path = `/obj/7/${size}/plain`;
      for (let i = 0; i < 2; i++) {
        const r = await te.get(path);
        assert.equal(r.status, 200);
        assert.equal(createHash('sha256').update(r.body).digest('hex'), patternHash(7, size));
        assert.match(r.header('x-cache') ?? '', /^Miss/);
      }
      assert.equal(origin.hits(path), 2);
      const line = te.logs.lines.find((l) => l.msg === 'cache object not stored; streamed through');
      assert.ok(line, 'no log line says why');
      assert.match(String(line['reason']), /per-object limit of 4194304/);
      // Just under the limit, it is kept.
      const small = `/obj/8/${3 * MiB}/plain`;
      await te.get(small);
      assert.match((await te.get(small)).header('x-cache') ?? '', /^Hit/);
    } finally {
      await te.close();
      await origin.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
