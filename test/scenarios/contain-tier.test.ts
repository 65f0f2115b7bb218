/**
 * @module test/scenarios/contain-tier
 * The tier headers belong to the regional edge cache and its PoPs, not to origins. An origin
 * (a tenant's server) that answers with `X-Verge-Tier-Error: ORIGIN_TIMEOUT` made every PoP
 * behind the regional answer its viewers 504 for a good object, and one that answers 403 with
 * `X-Verge-Tier: refused` made the PoP believe its regional refused the secret and bypass the
 * regional for every distribution. The regional now drops those headers from what origins send,
 * and the PoP believes them only on the regional's own answers (502, 403).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

const SECRET = 'tier-secret-for-tests';

describe('tiered caching: an origin cannot speak for the regional', () => {
  let origin: ScriptedOrigin;
  let regional: TestEdge;
  let pop: TestEdge;
  const config = (port: number) =>
    distribution(port, {
      defaultCacheBehavior: {
        targetOriginId: 'o1',
        cachePolicy: { minTTL: 0, defaultTTL: 60, maxTTL: 3600, queryStrings: 'all' },
      },
    });
  before(async () => {
    origin = await startOrigin({
      '/spoof-error': {
        headers: { 'cache-control': 'max-age=60', 'x-verge-tier-error': 'ORIGIN_TIMEOUT' },
        body: 'fine',
      },
      '/spoof-bogus': { headers: { 'cache-control': 'max-age=60', 'x-verge-tier-error': 'ORIGIN_NOPE' }, body: 'fine' },
      '/spoof-refused': { status: 403, headers: { 'x-verge-tier': 'refused' }, body: 'denied by the origin' },
    });
    regional = await startTestEdge({ configs: [config(origin.port)], runtime: nullRuntime, role: 'regional', tierSecret: SECRET }); // prettier-ignore
    pop = await startTestEdge({ configs: [config(origin.port)], runtime: nullRuntime, popId: 'pop-1', regional: regional.url, tierSecret: SECRET }); // prettier-ignore
  });
  after(async () => {
    await pop?.close();
    await regional?.close();
    await origin?.close();
  });

  test('an origin answering X-Verge-Tier-Error is served as the good object it is', async () => {
    for (const path of ['/spoof-error', '/spoof-bogus']) {
      const r = await pop.get(path);
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      assert.equal(r.text, 'fine');
      assert.equal(r.header('x-verge-tier-error'), undefined, 'not shown to viewers either');
    }
  });

  test('an origin answering 403 with X-Verge-Tier: refused does not turn the regional off', async () => {
    const r = await pop.get('/spoof-refused');
    assert.equal(r.status, 403);
    assert.equal(r.text, 'denied by the origin');
    assert.equal(r.header('x-verge-tier'), undefined);
    assert.ok(
      !pop.logs.lines.some((e) => String(e.msg).includes('regional edge cache unavailable')),
      'the PoP still trusts its regional',
    );
  });
});
