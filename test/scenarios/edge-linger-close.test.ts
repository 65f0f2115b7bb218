/**
 * @module test/scenarios/edge-linger-close
 * Issue 9: a request refused before its body is read (a PUT to a GET-only behavior) is answered
 * at once and the connection closed after a lingering close, so the viewer always gets the
 * answer. A reset while the viewer is still sending loses it: the viewer's kernel may drop what
 * it had not read, and a client still writing its body sees its write fail and gives up without
 * reading (what the hostile body test once saw under load: status 0 instead of 403). These
 * viewers send the way slow or busy clients do: they write their body and read only once they
 * have sent it, so the answer waits in their socket while the edge must keep taking bytes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { lingerClose } from '../../src/edge/server/viewer-body.js';

const MB = 1024 * 1024;
const PIECE = Buffer.alloc(MB, 0x61);

interface Outcome {
  /** What the viewer read once it had sent its body ('' when it read nothing). */
  answer: string;
  /** The error that ended the exchange, if one did (a reset, a failed write). */
  error: string | null;
  /** Bytes the viewer wrote before it stopped. */
  sent: number;
}

/**
 * Send `PUT path` declaring `declared` bytes, write `pieces` pieces of 1 MB one every `gapMs`
 * without reading, then read what the server sent. Bounded by `timeoutMs`.
 */
function slowReader(
  url: string,
  o: { path: string; declared: number; pieces: number; gapMs: number; timeoutMs?: number },
): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let sent = 0;
    let settled = false;
    const settle = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer: Buffer.concat(chunks).toString('latin1'), error, sent });
    };
    const timer = setTimeout(() => settle('timed out'), o.timeoutMs ?? 30_000);
    socket.on('error', (e) => settle((e as NodeJS.ErrnoException).code ?? e.message));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => settle(null));
    socket.once('connect', async () => {
      // Not reading: whatever the server answers waits in this socket's receive buffer.
      socket.pause();
      socket.write(`PUT ${o.path} HTTP/1.1\r\nHost: test.local\r\nContent-Length: ${o.declared}\r\n\r\n`);
      for (let i = 0; i < o.pieces && !settled; i++) {
        await new Promise((r) => setTimeout(r, o.gapMs));
        if (!socket.write(PIECE)) await new Promise((r) => socket.once('drain', r));
        sent += PIECE.length;
      }
      // The body is sent (or given up on): now read the answer.
      socket.resume();
    });
  });
}

describe('lingering close after a refused body', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;

  before(async () => {
    origin = await startOrigin({ '*': () => ({ body: 'never reached' }) });
    // The default behavior allows GET and HEAD only: a PUT is refused (403) before its body is read.
    te = await startTestEdge({ configs: [distribution(origin.port)] });
  });
  after(async () => {
    await te?.close();
    await origin?.close();
  });

  test('a viewer that reads only after sending 40 MB over 4 s gets the 403', async () => {
    // Longer than 2 s and more than 32 MB: a linger bounded by either (the old one) resets it.
    const r = await slowReader(te.url, { path: '/static/a', declared: 64 * MB, pieces: 40, gapMs: 100 });
    assert.equal(r.error, null, `the exchange ended with ${r.error} after ${r.sent / MB} MB`);
    assert.match(r.answer, /^HTTP\/1\.1 403 /);
    assert.match(r.answer, /\r\nconnection: close\r\n/i);
    assert.equal(r.sent, 40 * MB);
    assert.equal(origin.requests.length, 0, 'a refused request never reaches the origin');
  });

  test('ten such viewers at once all get their 403', async () => {
    const all = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        slowReader(te.url, { path: `/static/${i}`, declared: 64 * MB, pieces: 25, gapMs: 100 }),
      ),
    );
    assert.deepEqual(
      all.map((r) => [r.error, /^HTTP\/1\.1 (\d{3}) /.exec(r.answer)?.[1] ?? null]),
      Array(10).fill([null, '403']),
    );
  });
});

/** Block this process's event loop for `ms`, as a busy PoP (or a busy test machine) can. */
function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/**
 * A viewer on a thread of its own, so it keeps sending while the server's loop is stalled: the
 * request and 1 MB, `quietMs` of nothing, then `pieces` MB as fast as they are taken, then it
 * reads. Resolves with what slowReader would.
 */
function threadViewer(url: string, o: { path: string; quietMs: number; pieces: number }): Promise<Outcome> {
  const code = `
    const { parentPort, workerData: o } = require('node:worker_threads');
    const socket = require('node:net').connect({ host: o.host, port: o.port });
    const piece = Buffer.alloc(1024 * 1024, 0x61);
    const chunks = [];
    let sent = 0;
    let settled = false;
    const settle = (error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      parentPort.postMessage({ answer: Buffer.concat(chunks).toString('latin1'), error, sent });
    };
    socket.on('error', (e) => settle(e.code ?? e.message));
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => settle(null));
    socket.once('connect', async () => {
      socket.pause();
      const send = async () => {
        if (!socket.write(piece)) await new Promise((r) => socket.once('drain', r));
        sent += piece.length;
      };
      socket.write('PUT ' + o.path + ' HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: ' + 64 * piece.length + '\\r\\n\\r\\n');
      await send();
      await new Promise((r) => setTimeout(r, o.quietMs));
      for (let i = 0; i < o.pieces && !settled; i++) await send();
      socket.resume();
    });`;
  const { hostname, port } = new URL(url);
  const worker = new Worker(code, { eval: true, workerData: { host: hostname, port: Number(port), ...o } });
  return new Promise<Outcome>((resolve, reject) => {
    worker.once('message', (m: Outcome) => void worker.terminate().then(() => resolve(m)));
    worker.once('error', reject);
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('lingerClose bounds what a viewer can make the server read', () => {
  let server: Server;
  let url: string;
  let patient: Server;
  let patientUrl: string;
  before(async () => {
    // Answers 413 at once to everything and lingers 300 ms idle / 1.5 s at most.
    server = createServer((req, res) => {
      lingerClose(res, { idleMs: 300, maxMs: 1_500 });
      res.writeHead(413, { connection: 'close', 'content-length': '0' });
      res.end();
    });
    url = await listen(server);
    // Lingers 2 s idle / 20 s at most. /late answers once the body has filled the request's
    // buffer (so Node's parser has stopped reading the socket); /stall answers at once, and once
    // the viewer has been quiet for 700 ms (longer than lingerClose's check interval, a quarter of
    // the idle time, so it has seen the last bytes) blocks the event loop for 3 s.
    patient = createServer((req, res) => {
      const answer = () => {
        lingerClose(res, { idleMs: 2_000, maxMs: 20_000 });
        res.writeHead(413, { connection: 'close', 'content-length': '0' });
        res.end();
      };
      if (req.url === '/stall') {
        answer();
        const socket = req.socket;
        let seen = -1;
        let since = performance.now();
        const watch = () => {
          if (socket.destroyed) return;
          if (socket.bytesRead !== seen) [seen, since] = [socket.bytesRead, performance.now()];
          if (performance.now() - since < 700) return void setTimeout(watch, 10);
          // From the check phase, as an I/O callback would: the next turn runs timers, then polls.
          setImmediate(() => stall(3_000));
        };
        watch();
        return;
      }
      const full = () => (req.readableLength >= req.readableHighWaterMark ? answer() : setTimeout(full, 10));
      full();
    });
    patientUrl = await listen(patient);
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => patient.close(() => r()));
  });

  test('a viewer whose body arrived before the answer still gets it', async () => {
    // Before the fix the socket read nothing more once the answer went out, and was reset after
    // the idle time while the viewer was still sending (EPIPE, as under load in issue 9).
    const r = await slowReader(patientUrl, { path: '/late', declared: 64 * MB, pieces: 12, gapMs: 50 });
    assert.equal(r.error, null, `the exchange ended with ${r.error} after ${r.sent / MB} MB`);
    assert.match(r.answer, /^HTTP\/1\.1 413 /);
    assert.equal(r.sent, 12 * MB);
  });

  test('bytes that arrived while the event loop was stalled are not silence', async () => {
    // The viewer pauses 900 ms (more than the server waits before stalling, less than half the
    // idle time) and sends on while the server's loop is blocked for 3 s. The overdue idle check
    // runs before the loop reads those bytes: trusting it reset a viewer that had paused for
    // less than half the idle time.
    const r = await threadViewer(patientUrl, { path: '/stall', quietMs: 900, pieces: 12 });
    assert.equal(r.error, null, `the exchange ended with ${r.error} after ${r.sent / MB} MB`);
    assert.match(r.answer, /^HTTP\/1\.1 413 /);
    assert.equal(r.sent, 13 * MB);
  });

  test('a viewer that never stops sending is cut off after the total linger time', async () => {
    // 1 MB every 100 ms for up to 10 s: the server must give up long before the viewer does.
    const r = await slowReader(url, { path: '/', declared: 1024 * MB, pieces: 100, gapMs: 100, timeoutMs: 20_000 });
    assert.ok(r.error !== null && r.error !== 'timed out', `the server kept reading (${r.error}, ${r.sent / MB} MB)`);
    assert.ok(r.sent < 100 * MB, `the viewer sent all ${r.sent / MB} MB`);
  });

  test('a viewer that pauses longer than the idle time is cut off', async () => {
    const { port } = new URL(url);
    // Watched on the server's side: a closed server socket sends nothing more, so a viewer that
    // sends nothing more never hears of it (its half of the connection stays open until it writes).
    const serverClosed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      server.once('connection', (s) =>
        s.once('close', () => {
          clearTimeout(timer);
          resolve(true);
        }),
      );
    });
    // Half-open allowed: the viewer does not close its side when the answer's FIN arrives.
    const socket = connect({ host: '127.0.0.1', port: Number(port), allowHalfOpen: true });
    socket.on('error', () => {});
    socket.on('data', () => {});
    // Declares a body and sends none of it: the server answers, lingers, and must not wait forever.
    socket.write('PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
    const closed = await serverClosed;
    socket.destroy();
    assert.equal(closed, true, "the server's side of the connection was still open after 10 s");
  });
});
