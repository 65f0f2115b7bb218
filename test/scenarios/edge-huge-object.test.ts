/**
 * @module test/scenarios/edge-huge-object
 * Issue 12, an object past 4 GiB (2^32 bytes, where a 32-bit length or file position wraps)
 * through a spawned `verge edge` with a disk cache, in front of the pattern origin
 * (test/harness/pattern-origin.ts: bodies are never held, viewers hash what they read). The miss
 * streams the object through (the viewer has its first bytes before the origin has sent its
 * last) and stores it; the second request is a Hit of the same length and hash; a Range of the
 * last bytes, a suffix Range and one straddling 2^32 return the right bytes, and If-Range decides
 * between 206 and 200 there; the edge's RSS stays under 400 MiB throughout. An object that
 * arrives while the big one is being written and is larger than what is left of the cache budget
 * is served whole, not stored, and the log says why.
 *
 * The same suite at 20 GiB + a bit runs only when asked (`VERGE_HUGE=1`, about 21 GB of free
 * disk); docs/performance.md has its figures. Both need free disk under the temp folder and say
 * so (test/harness/needs.ts) rather than fill the disk.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { writePatternDistribution } from '../harness/edge.js';
import { spawnEdge, type EdgeProcess } from '../harness/edge-process.js';
import { needs, underCI } from '../harness/needs.js';
import {
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
const GiB = 1024 * MiB;
const GB = 1e9;
const TWO_32 = 2 ** 32;
/** The edge's resident memory must stay under this whatever the object's size (DESIGN section 2). */
const RSS_LIMIT_MB = 400;

/** Why a run that needs `bytes` of free disk under the temp folder cannot run, or false. */
function lacksDisk(bytes: number, what: string): string | false {
  const st = statfsSync(tmpdir());
  const free = st.bavail * st.bsize;
  if (free >= bytes) return false;
  return `${what} needs ${(bytes / GB).toFixed(0)} GB free under ${tmpdir()}, ${(free / GB).toFixed(1)} GB are`;
}

/**
 * One huge object through one edge. `budgetMiB` is the disk tier's budget: room for the object,
 * not for the object and the `refusedSize` one beside it, so that one is refused while the big
 * one is being written.
 */
function hugeObjectSuite(name: string, size: number, budgetMiB: number, skip: string | false): void {
  const refusedSize = 160 * MiB;
  describe(name, { skip, timeout: size > 8 * GiB ? 1_800_000 : 280_000 }, () => {
    let origin: PatternOrigin;
    let edge: EdgeProcess;
    let dir: string;
    let agent: Agent;
    let peakRss = 0;
    let sampler: NodeJS.Timeout | undefined;
    const path = `/obj/41/${size}/plain`;
    const get = (p: string, o: GetOpts = {}): Promise<Got> => hashedGet(edge.url, p, agent, o);
    const xcache = (g: Got) => String(g.headers['x-cache']);

    before(async () => {
      origin = await startPatternOrigin();
      dir = mkdtempSync(join(tmpdir(), 'verge-huge-'));
      const cfg = writePatternDistribution(dir, origin.port);
      // The per-object limit (20 GiB by default) is the whole budget: the 20 GiB + a bit run is past it.
      const disk = String(budgetMiB);
      const limits = ['--cache-size', '64', '--cache-disk-size', disk, '--cache-max-object', disk];
      edge = await spawnEdge(cfg, ['--data-dir', join(dir, 'pop'), ...limits]);
      agent = new Agent({ connections: 8, bodyTimeout: 120_000 });
      sampler = setInterval(() => (peakRss = Math.max(peakRss, edge.rssMB())), 100);
    });
    after(async () => {
      clearInterval(sampler);
      await agent?.close();
      await edge?.stop();
      await origin?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    let refused: Got | undefined;
    test(`the miss streams ${size} bytes through and stores them`, async (t) => {
      // The pattern must not repeat at 2^32, or a position cut to 32 bits would read the right bytes.
      assert.notEqual(patternRangeHash(41, TWO_32, TWO_32 + MiB), patternRangeHash(41, 0, MiB));
      const started = Date.now();
      let originDoneAtFirstBytes = true;
      const miss = await get(path, {
        at: {
          n: 64 * MiB,
          then: async () => {
            originDoneAtFirstBytes = origin.finished(path);
            // The big object is being written: its bytes are charged to the budget, so this
            // one does not fit beside it.
            refused = await get(`/obj/42/${refusedSize}/plain`);
          },
        },
      });
      t.diagnostic(`miss of ${size} bytes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.equal(originDoneAtFirstBytes, false, 'the viewer had its first bytes only after the origin finished');
      assert.equal(miss.status, 200);
      assert.equal(miss.error, null);
      assert.match(xcache(miss), /^Miss/);
      assert.equal(miss.headers['content-length'], String(size));
      assert.equal(miss.bytes, size);
      assert.equal(miss.hash, patternHash(41, size));
      assert.equal(origin.hits(path), 1);
    });

    test('an object larger than the cache left beside it is served whole, not stored, and the log says why', async () => {
      assert.ok(refused, 'the second object was not requested');
      assert.equal(refused.status, 200);
      assert.equal(refused.error, null);
      assert.equal(refused.bytes, refusedSize);
      assert.equal(refused.hash, patternHash(42, refusedSize));
      assert.match(xcache(refused), /^Miss/);
      const line = edge
        .output()
        .split('\n')
        .find((l) => l.includes('cache object not stored; streamed through') && l.includes('/obj/42/'));
      assert.ok(line, `no log line says why the second object was not stored:\n${edge.output().slice(-2000)}`);
      assert.match(line, new RegExp(`${refusedSize} bytes exceed the free cache`));
    });

    test('the second request is a Hit with the same length and bytes', async (t) => {
      const started = Date.now();
      const hit = await get(path);
      t.diagnostic(`hit of ${size} bytes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.equal(hit.status, 200);
      assert.equal(hit.error, null);
      assert.match(xcache(hit), /^Hit/);
      assert.equal(hit.headers['content-length'], String(size));
      assert.equal(hit.bytes, size);
      assert.equal(hit.hash, patternHash(41, size));
      assert.equal(origin.hits(path), 1);
    });

    test('Ranges at the end and across 2^32 return the right bytes; If-Range decides 206 or 200', async () => {
      const ranged = async (range: string, from: number, to: number, extra: Record<string, string> = {}) => {
        const g = await get(path, { headers: { range, ...extra } });
        assert.equal(g.status, 206, range);
        assert.equal(g.headers['content-range'], `bytes ${from}-${to}/${size}`, range);
        assert.equal(g.headers['content-length'], String(to - from + 1), range);
        assert.equal(g.hash, patternRangeHash(41, from, to + 1), range);
        assert.match(xcache(g), /^Hit/);
      };
      await ranged(`bytes=${size - 1000}-`, size - 1000, size - 1);
      await ranged('bytes=-777', size - 777, size - 1);
      await ranged(`bytes=${size - 1}-${size + 5000}`, size - 1, size - 1);
      // Across 2^32: a position truncated to 32 bits reads the first bytes of the file instead.
      await ranged(`bytes=${TWO_32 - 3 * MiB}-${TWO_32 + MiB / 2}`, TWO_32 - 3 * MiB, TWO_32 + MiB / 2);
      await ranged(`bytes=${TWO_32}-${TWO_32 + 99}`, TWO_32, TWO_32 + 99, { 'if-range': `"41-${size}"` });
      const past = await get(path, { headers: { range: `bytes=${size}-` } });
      assert.equal(past.status, 416);
      assert.equal(past.headers['content-range'], `bytes */${size}`);
      // An If-Range that does not match asks for the whole object: its head is enough here.
      const whole = await get(path, { headers: { range: `bytes=${TWO_32}-`, 'if-range': '"other"' }, leaveAfter: 1 });
      assert.equal(whole.status, 200);
      assert.equal(whole.headers['content-length'], String(size));
      assert.equal(origin.hits(path), 1);
    });

    test(`the edge's RSS stayed under ${RSS_LIMIT_MB} MiB, and the refused object is still not stored`, async (t) => {
      clearInterval(sampler);
      peakRss = Math.max(peakRss, edge.rssMB());
      t.diagnostic(`edge RSS peak ${peakRss.toFixed(0)} MiB across a ${size}-byte miss, hit and ranges`);
      assert.ok(peakRss < RSS_LIMIT_MB, `edge RSS peaked at ${peakRss.toFixed(0)} MiB`);
      // Last, because storing it now evicts the big object (the budget holds one of them).
      const again = await get(`/obj/42/${refusedSize}/plain`);
      assert.match(xcache(again), /^Miss/);
      assert.equal(origin.hits(`/obj/42/${refusedSize}/plain`), 2);
    });
  });
}

const FOUR = 4 * GiB + MiB + 7;
hugeObjectSuite(
  'an object just past 4 GiB through a spawned edge',
  FOUR,
  4200,
  needs(lacksDisk(15 * GB, 'the 4 GiB object test')),
);

// The full-size run is opt-in: it moves about 60 GB through the edge, the disk and SHA-256 (minutes).
// Under CI (where nothing may skip, scripts/test.mjs) it is not registered unless asked for.
const HUGE = 20 * GiB + MiB + 7;
const asked = process.env.VERGE_HUGE === '1';
if (asked || !underCI())
  hugeObjectSuite(
    'an object just past 20 GiB through a spawned edge (VERGE_HUGE=1)',
    HUGE,
    20 * 1024 + 100,
    asked
      ? needs(lacksDisk(21 * GB, 'the 20 GiB object test'))
      : 'opt-in: VERGE_HUGE=1 npm test -- edge-huge-object (needs about 21 GB free disk and several minutes)',
  );
