// ControlClient with several control replicas: which failures move it to the next URL (down:
// unreachable, 5xx; not a 4xx, which is an answer), and that two callers seeing the same replica
// fail move it once, not twice (with two URLs, twice would land back on the dead one).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlClient } from './control-client.js';

let server: Server;
let live = '';
let dead = '';
let status = 401;

before(async () => {
  server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  live = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was just free: nothing listens there, so connections are refused.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  dead = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((r) => probe.close(r));
});
after(() => new Promise((r) => server.close(r)));

const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
const batch = { batchId: 'b', pop: 'p', points: [] };

test('a refused replica hands over to the next once, however many callers saw it fail', async () => {
  const c = new ControlClient({ url: [dead, live], token: 't' });
  assert.equal(c.url, dead);
  const [e1, e2] = await Promise.all([failure(c.metrics(batch)), failure(c.logs({ ...batch, records: [] }))]);
  assert.deepEqual(c.failover(e1), { from: dead, to: live, first: true });
  assert.equal(c.failover(e2), null, 'already moved off the dead replica');
  assert.equal(c.url, live);
  assert.ok(c.base.startsWith(live));
});

test('a 4xx is an answer from a live replica: no move; a 5xx moves on', async () => {
  const c = new ControlClient({ url: [live, dead], token: 't' });
  status = 401;
  assert.equal(c.failover(await failure(c.metrics(batch))), null);
  assert.equal(c.url, live);
  status = 503;
  assert.deepEqual(c.failover(await failure(c.metrics(batch))), { from: live, to: dead, first: true });
});

test('every replica down: moves go round the list, only the first after a success is news', async () => {
  const c = new ControlClient({ url: [dead, dead.replace('127.0.0.1', '127.0.0.2')], token: 't' });
  const moves = [];
  for (let i = 0; i < 3; i++) moves.push(c.failover(await failure(c.metrics(batch)))?.first);
  assert.deepEqual(moves, [true, false, false]);
});

test('one URL: nothing to move to', async () => {
  const c = new ControlClient({ url: dead, token: 't' });
  assert.equal(c.failover(await failure(c.metrics(batch))), null);
  assert.equal(c.url, dead);
});
