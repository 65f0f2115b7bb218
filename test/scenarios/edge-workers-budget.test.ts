/**
 * @module test/scenarios/edge-workers-budget
 * Containment with `verge edge --workers 2` (one disk tier shared by the workers): a chunked
 * answer larger than the 8 MiB disk budget, asked for by concurrent viewers on both workers,
 * streams through without taking the shared cache folder past the budget (sampled while it
 * streams), leaves no partial file, and is not kept. The leader's viewers get every byte (its
 * stream-through is not held back by the claim that stands for readers in the other worker); a
 * viewer that was following the leader's file when it stopped is cut off (an error, never a short
 * body that looks complete); every other viewer gets every byte; the next request does too.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { distribution } from '../harness/edge.js';
import { spawnEdge, type EdgeProcess } from '../harness/edge-process.js';
import { hashedGet, patternHash, startPatternOrigin, type PatternOrigin } from '../harness/pattern-origin.js';
import { dirBytes } from '../harness/dir-bytes.js';

// bin/verge.js runs src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';

const MiB = 1024 * 1024;

let origin: PatternOrigin;
let edge: EdgeProcess;
let dir: string;
let agent: Agent;

before(async () => {
  origin = await startPatternOrigin();
  dir = mkdtempSync(join(tmpdir(), 'verge-workers-budget-'));
  const cfg = join(dir, 'dist.json');
  writeFileSync(cfg, JSON.stringify(distribution(origin.port)));
  edge = await spawnEdge(cfg, ['--workers', '2', '--data-dir', join(dir, 'pop'), '--cache-size', '2', '--cache-disk-size', '8']); // prettier-ignore
  agent = new Agent({ connections: 8 });
});
after(async () => {
  await agent?.close();
  await edge?.stop();
  await origin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'a chunked answer past the shared disk budget streams through on both workers within the budget',
  { timeout: 120_000 },
  async () => {
    const size = 20 * MiB;
    const path = `/obj/41/${size}/chunked`;
    const want = patternHash(41, size);
    const cache = join(dir, 'pop', 'cache');
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, dirBytes(cache))), 2);
    try {
      const got = await Promise.all(Array.from({ length: 6 }, () => hashedGet(edge.url, path, agent)));
      const workers = new Set(got.map((g) => String(g.headers['x-verge-worker'])));
      const whole = got.filter((g) => g.error === null);
      for (const g of got) {
        if (g.error === null) assert.deepEqual([g.bytes, g.hash], [size, want], 'a body that ended cleanly is whole');
        else assert.ok(g.bytes < size, 'a cut-off viewer saw an error');
      }
      assert.ok(
        whole.some((g) => /^Miss/.test(String(g.headers['x-cache']))),
        'the leader’s viewer got every byte',
      );
      const next = await hashedGet(edge.url, path, agent);
      assert.deepEqual([next.error, next.hash], [null, want]);
      assert.match(String(next.headers['x-cache']), /^Miss/, 'not kept');
      clearInterval(sampler);
      assert.ok(most <= 8 * MiB, `the shared cache folder held ${most} bytes, over the 8 MiB budget`);
      for (let i = 0; i < 100 && dirBytes(cache) > 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(dirBytes(cache), 0, 'no partial file is left');
      assert.match(edge.output(), /exceed the free cache|per-object limit/);
      // Both workers answered (otherwise this says nothing about sharing); reported, not required.
      if (workers.size < 2) console.log(`only worker(s) ${[...workers].join(',')} answered`);
    } finally {
      clearInterval(sampler);
    }
  },
);
