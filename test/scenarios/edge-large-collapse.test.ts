/**
 * @module test/scenarios/edge-large-collapse
 * Issue 12, the big ones, against a spawned `verge edge` with a disk cache (its RSS is its own)
 * and the pattern origin (test/harness/pattern-origin.ts; bodies never held, viewers hash what
 * they read): 8 concurrent viewers of a cold 512 MiB object make one origin fetch and all get
 * identical bytes; a 1 GiB object is a Hit the second time with the edge's RSS under 400 MiB.
 * The other streaming cases are in edge-large-objects.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { writePatternDistribution } from '../harness/edge.js';
import { spawnEdge, type EdgeProcess } from '../harness/edge-process.js';
import { hashedGet, patternHash, startPatternOrigin, type Got, type PatternOrigin } from '../harness/pattern-origin.js';

// bin/verge.js runs src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';

const MiB = 1024 * 1024;

describe('large objects through a spawned edge: collapsed viewers and a 1 GiB hit', { timeout: 280_000 }, () => {
  let origin: PatternOrigin;
  let edge: EdgeProcess;
  let dir: string;
  let agent: Agent;
  const get = (path: string): Promise<Got> => hashedGet(edge.url, path, agent);
  const xcache = (g: Got) => String(g.headers['x-cache']);

  before(async () => {
    origin = await startPatternOrigin();
    dir = mkdtempSync(join(tmpdir(), 'verge-large-'));
    const cfg = writePatternDistribution(dir, origin.port);
    edge = await spawnEdge(cfg, ['--data-dir', join(dir, 'pop'), '--cache-size', '64', '--cache-disk-size', '2048']);
    agent = new Agent({ connections: 16 });
  });
  after(async () => {
    await agent?.close();
    await edge?.stop();
    await origin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('8 concurrent viewers of a cold 512 MiB object: one origin fetch, identical bytes', async (t) => {
    const size = 512 * MiB;
    const path = `/obj/4/${size}/plain`;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, edge.rssMB())), 50);
    const all = await Promise.all(Array.from({ length: 8 }, () => get(path)));
    clearInterval(sampler);
    t.diagnostic(`edge RSS peak ${peak.toFixed(0)} MiB with 8 viewers of 512 MiB`);
    const want = patternHash(4, size);
    for (const g of all) {
      assert.equal(g.error, null);
      assert.equal(g.bytes, size);
      assert.equal(g.hash, want);
    }
    assert.equal(origin.hits(path), 1);
    assert.equal(all.filter((g) => /^Miss/.test(xcache(g))).length, 1);
  });

  test('a 1 GiB object is a Hit the second time, with the edge RSS under 400 MiB', async (t) => {
    const size = 1024 * MiB;
    const path = `/obj/5/${size}/plain`;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, edge.rssMB())), 50);
    const miss = await get(path);
    const hit = await get(path);
    clearInterval(sampler);
    t.diagnostic(`edge RSS peak ${peak.toFixed(0)} MiB across a 1 GiB miss and hit`);
    const want = patternHash(5, size);
    assert.equal(miss.hash, want);
    assert.match(xcache(miss), /^Miss/);
    assert.equal(hit.hash, want);
    assert.match(xcache(hit), /^Hit/);
    assert.equal(origin.hits(path), 1);
    assert.ok(peak < 400, `edge RSS reached ${peak.toFixed(0)} MiB`);
  });
});
