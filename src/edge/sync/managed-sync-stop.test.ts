/**
 * ManagedSync.stop() must end the sync loop whatever it is doing. The case that hung CI: stop()
 * lands while register() is in flight; the loop then opened the watch stream with the already
 * aborted signal, whose 'abort' event never fires again, and the server's pings kept that stream
 * alive for ever. A hand-written control plane here holds the register answer until stop() has
 * been called, and serves a watch stream that only pings.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../shared/log.js';
import { ControlClient } from './control-client.js';
import { ManagedSync } from './managed-sync.js';

let server: Server;
let url = '';
const seen: string[] = [];
let releaseRegister: () => void = () => {};
let registerArrived: Promise<void>;
const streams = new Set<ServerResponse>();

before(async () => {
  let arrived!: () => void;
  registerArrived = new Promise((r) => (arrived = r));
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url?.split('?')[0]}`);
    req.resume();
    if (req.url === '/api/v1/edge/register') {
      releaseRegister = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      arrived();
      return;
    }
    if (req.url?.startsWith('/api/v1/edge/watch')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      streams.add(res);
      const ping = setInterval(() => res.write(': ping\n\n'), 20);
      res.on('close', () => (clearInterval(ping), streams.delete(res)));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
});

/** Resolves with what `p` settled to, or 'still waiting' once `ms` have passed. */
function settledWithin(p: Promise<unknown>, ms: number): Promise<string> {
  return Promise.race([
    p.then(
      () => 'stopped',
      (e: Error) => `failed: ${e.message}`,
    ),
    new Promise<string>((r) => setTimeout(() => r('still waiting'), ms).unref()),
  ]);
}

test('stop() while register is in flight ends the loop without opening the watch stream', async () => {
  const sync = new ManagedSync({
    control: { url, token: 't' },
    pop: 'p1',
    region: 'r1',
    dataDir: mkdtempSync(join(tmpdir(), 'verge-sync-stop-')),
    logger: memoryLogger(),
    backoffMs: { initial: 20, max: 100 },
  });
  // The loop only needs a target once a snapshot arrives; none will.
  sync.start({ applyPlan: async () => {}, invalidate: () => 0 } as unknown as Parameters<ManagedSync['start']>[0]);
  await registerArrived;
  const stopping = sync.stop();
  releaseRegister();
  // 5 s is not a speed bound: without the fix this never settles (the pings keep the stream up).
  assert.equal(await settledWithin(stopping, 5000), 'stopped');
  assert.deepEqual(seen, ['POST /api/v1/edge/register'], 'no watch stream was opened after stop()');
  assert.equal(streams.size, 0);
});

test('watch() with a signal that is already aborted returns at once and opens nothing', async () => {
  const before = seen.length;
  const client = new ControlClient({ url, token: 't' });
  const ctl = new AbortController();
  ctl.abort();
  const events: unknown[] = [];
  assert.equal(
    await settledWithin(
      client.watch(0, (e) => events.push(e), { signal: ctl.signal }),
      5000,
    ),
    'stopped',
  );
  assert.equal(seen.length, before, 'no request was made');
  assert.deepEqual(events, []);
});
