// Removing a PoP that is gone for good (DELETE /pops/{id}): until then Deployed keeps
// CloudFront's meaning (every registered PoP has the change) and the distribution says which PoP
// it waits for, since when, and how to remove it; removal is admin-only, revokes the PoP's edge
// tokens, ends its watch stream, and the status of distributions and invalidations is computed
// without it. The deployment history keeps its acks, and an admin can register it again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Distribution, Pop } from '../../src/client/index.js';
import { checkSchema as check } from '../../src/shared/schema/check.js';
import { distribution, startTestControl, type TestControl } from '../../src/control/testing/harness.js';
import { openStream, type EventStream } from '../../src/control/testing/sse-client.js';
import { FakeClock } from '../../src/shared/clock.js';

describe('removing a PoP that is gone for good', () => {
  const clock = new FakeClock(Date.UTC(2026, 3, 1));
  let t: TestControl;
  let stream: EventStream | undefined;
  const tokens: Record<string, string> = {};
  const as = (pop: string) => ({ token: tokens[pop]! });
  const register = (pop: string, appliedVersion: number, token = tokens[pop]!) =>
    t.api('POST', '/edge/register', { pop, region: `r-${pop}`, appliedVersion }, { token });
  const ack = (pop: string, version: number) => t.api('POST', '/edge/acks', { pop, version, ok: true }, as(pop));
  const shop = async () => (await t.api('GET', '/distributions/shop')).body as Distribution;
  const schemaOf = async (path: string, method: string, status: number) =>
    (await t.api('GET', '/openapi.json')).body.paths[`/api/v1${path}`][method].responses[status].content[
      'application/json'
    ].schema;

  before(async () => {
    t = await startTestControl({ clock, pingIntervalMs: 60_000 });
    for (const pop of ['p1', 'p2'])
      tokens[pop] = (await t.api('POST', '/tokens', { name: pop, kind: 'edge', pop })).body.token;
    for (const pop of ['p1', 'p2']) assert.equal((await register(pop, 0)).status, 200);
    assert.equal((await t.api('POST', '/distributions', distribution('shop'))).status, 201);
    for (const pop of ['p1', 'p2']) await ack(pop, 1);
  });
  after(async () => {
    await stream?.close();
    await t.close();
  });

  test('a silent PoP holds the distribution InProgress, and the status says how to remove it', async () => {
    await t.api('PUT', '/distributions/shop', distribution('shop', { comment: 'v2' }));
    await ack('p1', 2);
    const fresh = await shop();
    assert.deepEqual([fresh.status, fresh.pending, fresh.snapshot], ['InProgress', ['p2'], 2]);
    assert.match(fresh.statusText, /waiting for p2 to apply snapshot 2/);
    assert.doesNotMatch(fresh.statusText, /remove/, 'a healthy PoP is just in progress');
    clock.advance(10 * 60_000);
    await ack('p1', 2); // p1 is heard from again; p2 stays silent
    const stuck = await shop();
    assert.equal(stuck.status, 'InProgress', 'Deployed still means every registered PoP');
    assert.match(stuck.statusText, /p2 is down \(last seen 2026-04-01T00:00:00\.000Z\)/);
    assert.match(stuck.statusText, /`verge pops remove p2` \(DELETE \/api\/v1\/pops\/p2\)/);
    assert.doesNotMatch(stuck.statusText, /remove p1/);
    assert.deepEqual(check(await schemaOf('/distributions/{id}', 'get', 200), stuck), []);
    const list = await t.api('GET', '/distributions');
    assert.deepEqual(check(await schemaOf('/distributions', 'get', 200), list.body), []);
  });

  test('only an admin may remove a PoP; unknown ones are 404', async () => {
    assert.equal((await t.api('DELETE', '/pops/p2', undefined, as('p2'))).status, 403);
    assert.equal((await t.api('DELETE', '/pops/p2', undefined, as('p1'))).status, 403);
    assert.equal((await t.api('DELETE', '/pops/nope')).status, 404);
    assert.equal((await shop()).status, 'InProgress', 'nothing changed');
  });

  test('removal revokes its tokens, ends its watch stream, and the status no longer waits for it', async () => {
    const inv = (await t.api('POST', '/invalidations', { distributionId: 'shop', paths: ['/a'] })).body;
    await t.api('POST', `/edge/invalidations/${inv.id}/ack`, { pop: 'p1', removed: 0 }, as('p1'));
    assert.equal((await t.api('GET', `/invalidations/${inv.id}`)).body.status, 'InProgress');
    stream = await openStream(`${t.control.url}/api/v1/edge/watch?after=1`, tokens.p2!);
    await stream.next('snapshot');
    const pops = (await t.api('GET', '/pops')).body;
    assert.deepEqual(check(await schemaOf('/pops', 'get', 200), pops), []);
    assert.equal(pops.items.find((p: Pop) => p.id === 'p2').connected, true);

    assert.equal((await t.api('DELETE', '/pops/p2')).status, 204);
    assert.equal(t.control.app.hub.connectedPops().has('p2'), false, 'its watch stream was ended');
    const after = await shop();
    assert.deepEqual([after.status, after.pending], ['Deployed', []]);
    assert.match(after.statusText, /^Deployed: all 1 PoP\(s\) have snapshot 2$/);
    const invAfter = (await t.api('GET', `/invalidations/${inv.id}`)).body;
    assert.deepEqual([invAfter.status, Object.keys(invAfter.pops)], ['Completed', ['p1']]);
    assert.deepEqual(
      (await t.api('GET', '/pops')).body.items.map((p: Pop) => p.id),
      ['p1'],
    );
    // Its edge token is revoked; p1's is not.
    assert.equal((await register('p2', 1)).status, 401);
    assert.equal((await t.api('GET', '/edge/snapshots/2', undefined, as('p2'))).status, 401);
    assert.equal((await t.api('GET', '/edge/snapshots/2', undefined, as('p1'))).status, 200);
    const revoked = (await t.api('GET', '/tokens')).body.items.filter((x: { revokedAt: string | null }) => x.revokedAt);
    assert.deepEqual(
      revoked.map((x: { pop: string }) => x.pop),
      ['p2'],
    );
    // History keeps what p2 acknowledged while it was there.
    assert.equal((await t.api('GET', '/deployments/1')).body.acks.p2.ok, true);
    assert.deepEqual((await t.api('GET', '/deployments/2')).body.pending, []);
    assert.equal((await t.api('DELETE', '/pops/p2')).status, 404, 'already gone');
  });

  test('an admin can register it again, and the distribution waits for it once more', async () => {
    assert.equal((await register('p2', 1, t.adminToken)).status, 200);
    const back = await shop();
    assert.deepEqual([back.status, back.pending], ['InProgress', ['p2']]);
  });
});
