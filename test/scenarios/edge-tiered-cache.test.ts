/**
 * @module test/scenarios/edge-tiered-cache
 * Tiered caching (issue 15, DESIGN 4): three PoPs fetch their misses through one regional edge
 * cache (`role: 'regional'`). Concurrent misses from the three make one origin fetch; the
 * regional keys objects as the origin would be asked (a forwarded query string is a different
 * object, the same one from another PoP is a regional hit); a request without the PoPs' secret
 * is refused and never reaches an origin (no open proxy); a PoP whose regional is down fetches
 * from the origin itself. An object too large for the regional to hold streams through both
 * tiers: the viewer has its first bytes before the origin has sent the rest (issue 12); one of
 * unknown length streams through too when large, and is collapsed and kept when small.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { TIER_AUTH, TIER_TARGET } from '../../src/edge/tier/index.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { freePorts } from '../harness/ports.js';
import { HOLD, hashedGet, patternHash, startPatternOrigin } from '../harness/pattern-origin.js';
import { Agent } from 'undici';

const SECRET = 'tier-secret-for-tests';

describe('tiered caching: PoPs through a regional edge cache', () => {
  let origin: ScriptedOrigin;
  let regional: TestEdge;
  const pops: TestEdge[] = [];
  const config = (port: number) =>
    distribution(port, {
      defaultCacheBehavior: {
        targetOriginId: 'o1',
        cachePolicy: { minTTL: 0, defaultTTL: 60, maxTTL: 3600, queryStrings: 'all' },
      },
    });
  before(async () => {
    origin = await startOrigin({
      '/obj': (_r, n) => ({ headers: { 'cache-control': 'max-age=60' }, body: `object ${n}`, delayMs: 300 }),
      '/q': (r, n) => ({ headers: { 'cache-control': 'max-age=60' }, body: `${r.url} ${n}` }),
    });
    regional = await startTestEdge({ configs: [config(origin.port)], runtime: nullRuntime, role: 'regional', tierSecret: SECRET }); // prettier-ignore
    for (let i = 0; i < 3; i++) {
      pops.push(
        await startTestEdge({ configs: [config(origin.port)], runtime: nullRuntime, popId: `pop-${i}`, regional: regional.url, tierSecret: SECRET }), // prettier-ignore
      );
    }
  });
  after(async () => {
    for (const p of pops) await p.close();
    await regional.close();
    await origin.close();
  });

  test('concurrent misses on three PoPs make one origin fetch; each PoP then has it', async () => {
    const answers = await Promise.all(pops.map((p) => p.get('/obj')));
    assert.deepEqual(
      answers.map((a) => [a.status, a.text]),
      [
        [200, 'object 1'],
        [200, 'object 1'],
        [200, 'object 1'],
      ],
    );
    assert.equal(origin.count('/obj'), 1, 'one origin request for the region');
    assert.equal(answers[0]!.header('x-verge-tier'), undefined, 'the tier header stays between PoP and regional');
    const again = await Promise.all(pops.map((p) => p.get('/obj')));
    assert.deepEqual(
      again.map((a) => a.header('x-cache')),
      ['Hit from verge', 'Hit from verge', 'Hit from verge'],
    );
    assert.equal(origin.count('/obj'), 1);
  });

  test('the regional keys what the origin is asked: another query string is another object', async () => {
    assert.equal((await pops[0]!.get('/q?v=1')).text, '/q?v=1 1');
    assert.equal((await pops[1]!.get('/q?v=1')).text, '/q?v=1 1', 'a regional hit for the second PoP');
    assert.equal((await pops[2]!.get('/q?v=2')).text, '/q?v=2 2');
    assert.equal(origin.count('/q'), 2);
  });

  test('a request without the secret is refused and reaches no origin', async () => {
    const before = origin.requests.length;
    const target = Buffer.from(
      JSON.stringify({ id: 'x', domainName: '127.0.0.1', port: origin.port, protocol: 'http', originPath: '', connectionAttempts: 1, connectionTimeoutMs: 1000, readTimeoutMs: 1000, keepaliveTimeoutMs: 1000 }), // prettier-ignore
    ).toString('base64url');
    const none = await regional.get('/open-proxy', { headers: { [TIER_TARGET]: target } });
    assert.equal(none.status, 403);
    const wrong = await regional.get('/open-proxy', { headers: { [TIER_TARGET]: target, [TIER_AUTH]: 'guess' } });
    assert.equal(wrong.status, 403);
    assert.equal(origin.requests.length, before, 'the origin saw nothing');
  });

  test('a PoP whose regional is down fetches from the origin itself', async () => {
    const [dead] = await freePorts(1);
    const lone = await startTestEdge({ configs: [config(origin.port)], runtime: nullRuntime, popId: 'lone', regional: `http://127.0.0.1:${dead}`, tierSecret: SECRET }); // prettier-ignore
    try {
      const r = await lone.get('/q?v=lone');
      assert.equal(r.status, 200);
      assert.equal(r.text, '/q?v=lone 3');
      assert.ok(lone.logs.lines.some((e) => String(e.msg).includes('regional edge cache unavailable')));
    } finally {
      await lone.close();
    }
  });
});

describe('tiered caching: an object too large for the regional to hold', () => {
  test('streams through both tiers as it arrives, is not kept at the regional, and the PoP keeps it', async () => {
    const origin = await startPatternOrigin();
    const cfg = distribution(origin.port);
    const regional = await startTestEdge({ configs: [cfg], runtime: nullRuntime, role: 'regional', tierSecret: SECRET }); // prettier-ignore
    const pops = [
      await startTestEdge({ configs: [cfg], runtime: nullRuntime, popId: 'big-0', regional: regional.url, tierSecret: SECRET }), // prettier-ignore
      await startTestEdge({ configs: [cfg], runtime: nullRuntime, popId: 'big-1', regional: regional.url, tierSecret: SECRET }), // prettier-ignore
    ];
    const agent = new Agent();
    try {
      // Past an eighth of the regional's 256 MiB: streamed, not held. A regional (or a PoP) that
      // held the whole answer before sending it would wait for the release below, so the viewer
      // would have its first MiB only after the origin finished; the fallback keeps that a
      // failed assertion rather than a hung test.
      const size = 40 * 1024 * 1024;
      const path = `/obj/51/${size}/hold`;
      const fallback = setTimeout(() => origin.release(path), 20_000);
      let doneAtFirstBytes = true;
      const first = await hashedGet(pops[0]!.url, path, agent, {
        at: {
          n: HOLD,
          then: () => {
            doneAtFirstBytes = origin.finished(path);
            origin.release(path);
          },
        },
      });
      clearTimeout(fallback);
      assert.equal(doneAtFirstBytes, false, 'the first bytes waited for the whole object');
      assert.equal(first.status, 200);
      assert.equal(first.error, null);
      assert.equal(first.hash, patternHash(51, size));
      assert.match(String(first.headers['x-cache']), /^Miss/);
      assert.match(String((await hashedGet(pops[0]!.url, path, agent)).headers['x-cache']), /^Hit/);
      // The regional did not keep it: the other PoP's miss goes to the origin again.
      const other = await hashedGet(pops[1]!.url, path, agent);
      assert.equal(other.hash, patternHash(51, size));
      assert.equal(origin.hits(path), 2);
      // Without a Content-Length: a large one streams through whole; a small one is still
      // collapsed (two PoPs' concurrent misses, one origin fetch) and kept at the regional.
      const chunked = `/obj/52/${size}/chunked`;
      const c = await hashedGet(pops[0]!.url, chunked, agent);
      assert.equal(c.error, null);
      assert.equal(c.bytes, size);
      assert.equal(c.hash, patternHash(52, size));
      const smallPath = `/obj/53/${1024 * 1024}/chunked`;
      const both = await Promise.all(pops.map((p) => hashedGet(p.url, smallPath, agent)));
      for (const g of both) assert.equal(g.hash, patternHash(53, 1024 * 1024));
      assert.equal(origin.hits(smallPath), 1);
    } finally {
      await agent.close();
      for (const p of pops) await p.close();
      await regional.close();
      await origin.close();
    }
  });
});
