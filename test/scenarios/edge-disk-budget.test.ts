/**
 * @module test/scenarios/edge-disk-budget
 * Containment (issue 12): an origin's answer without a Content-Length cannot take the PoP's disk
 * tier past its budget. With an 8 MiB disk budget, part of it held by an object being written, a
 * 20 MiB chunked answer reaches its viewer whole, the cache folder (sampled while it streams)
 * never holds more than the budget, nothing is kept (the next request is a Miss and a second
 * origin fetch), and the log says why in the words of the up-front refusal, which an answer
 * with a Content-Length too large for the free cache still gets. The object being written
 * meanwhile is kept. A full disk (ENOSPC) is in src/edge/cache/disk-store-full.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { distribution, startTestEdge } from '../harness/edge.js';
import { HOLD, hashedGet, patternHash, startPatternOrigin } from '../harness/pattern-origin.js';
import { dirBytes } from '../harness/dir-bytes.js';

const MiB = 1024 * 1024;

test('a chunked answer past the disk budget streams whole, is not kept, and the folder stays within the budget', async () => {
  const origin = await startPatternOrigin();
  const dataDir = mkdtempSync(join(tmpdir(), 'verge-disk-budget-'));
  const cacheDir = join(dataDir, 'cache');
  const budget = 8 * MiB;
  // Memory keeps objects up to 2 MiB, so both objects here go to the disk tier.
  const te = await startTestEdge({
    configs: [distribution(origin.port)],
    dataDir,
    cacheMaxBytes: 2 * MiB,
    cacheDiskBytes: budget,
  });
  const agent = new Agent({ connections: 4 });
  let sampler: NodeJS.Timeout | undefined;
  try {
    // 5 MiB announced and being written (its first MiB sent, the rest held): not evictable.
    const heldPath = `/obj/31/${5 * MiB}/hold`;
    const held = hashedGet(te.url, heldPath, agent);
    for (let i = 0; i < 200 && dirBytes(cacheDir) < HOLD; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(dirBytes(cacheDir) >= HOLD, 'the held object is being written to the disk');

    const size = 20 * MiB;
    const path = `/obj/32/${size}/chunked`;
    let most = 0;
    sampler = setInterval(() => (most = Math.max(most, dirBytes(cacheDir))), 2);
    const first = await hashedGet(te.url, path, agent);
    clearInterval(sampler);
    assert.deepEqual([first.status, first.error, first.bytes, first.hash], [200, null, size, patternHash(32, size)]);
    assert.match(String(first.headers['x-cache']), /^Miss/);
    assert.ok(most > 0, 'the folder was sampled while the object streamed');
    assert.ok(most <= budget, `the cache folder held ${most} bytes, over the ${budget}-byte budget`);

    const why = te.logs.lines.filter((l) => l.msg === 'cache object not stored; streamed through');
    assert.equal(why.length, 1, 'one log line says why');
    assert.match(String(why[0]!['reason']), /^\d+ bytes exceed the free cache \(\d+ of 8388608 bytes\)$/);

    const second = await hashedGet(te.url, path, agent);
    assert.equal(second.hash, patternHash(32, size));
    assert.match(String(second.headers['x-cache']), /^Miss/, 'not kept: the next request is a Miss');
    assert.equal(origin.hits(path), 2);

    // With a Content-Length, the same is decided up front (5 MiB fits the object limit, not the free cache).
    const plain = `/obj/33/${5 * MiB}/plain`;
    const p = await hashedGet(te.url, plain, agent);
    assert.deepEqual([p.error, p.hash], [null, patternHash(33, 5 * MiB)]);
    const refused = te.logs.lines.filter((l) => l.msg === 'cache object not stored; streamed through');
    assert.equal(refused.length, 3, 'one line for each chunked answer and one for this one');
    assert.match(
      String(refused[2]!['reason']),
      new RegExp(`^${5 * MiB} bytes exceed the free cache \\(\\d+ of 8388608 bytes\\)$`),
    );
    assert.match(String((await hashedGet(te.url, plain, agent)).headers['x-cache']), /^Miss/);

    origin.release(heldPath);
    const h = await held;
    assert.deepEqual([h.error, h.hash], [null, patternHash(31, 5 * MiB)]);
    const again = await hashedGet(te.url, heldPath, agent);
    assert.match(String(again.headers['x-cache']), /^Hit/, 'the object written meanwhile was kept');
  } finally {
    clearInterval(sampler);
    await agent.close();
    await te.close();
    await origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
