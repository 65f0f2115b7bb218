/**
 * @module test/scenarios/edge-stream
 * Issue 12, response bodies that stream: an answer the edge will not store (a behavior that
 * caches nothing) goes to the viewer as it arrives from a pacing origin. The first bytes reach
 * the viewer before the origin has finished; a large body passes with the test process's RSS
 * bounded well below its size; an origin that dies mid-body leaves the viewer with a cut
 * connection (short of Content-Length, or chunked without its last chunk), never a body that
 * looks complete.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { request } from 'undici';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

const MB = 1024 * 1024;
const CHUNK = Buffer.alloc(MB, 0x6b);

/** The origin: `/paced` sends 1 MiB then waits for `release()`; `/big/N` sends N MiB; `/die` dies mid-body. */
interface PacingOrigin {
  port: number;
  release(): void;
  /** Resolves when `/paced` has sent its first MiB. */
  firstSent: Promise<void>;
  finished: boolean;
  close(): Promise<void>;
}

async function startPacingOrigin(): Promise<PacingOrigin> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let firstSent!: () => void;
  const o: PacingOrigin = {
    port: 0,
    release,
    firstSent: new Promise<void>((r) => (firstSent = r)),
    finished: false,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (url.startsWith('/paced')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(2 * MB) });
      res.write(CHUNK, () => firstSent());
      void released.then(() => res.end(CHUNK, () => (o.finished = true)));
      return;
    }
    const big = /^\/big\/(\d+)/.exec(url);
    if (big) {
      const total = Number(big[1]) * MB;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += MB;
          if (!res.write(CHUNK)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (url.startsWith('/die')) {
      const chunked = url.includes('chunked');
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        ...(chunked ? {} : { 'content-length': String(10 * MB) }),
      });
      res.write(CHUNK, () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  o.port = (server.address() as AddressInfo).port;
  return o;
}

/** A raw GET: the head, the body bytes received, and whether the edge closed the connection. */
function rawGet(url: string, path: string): Promise<{ head: string; bodyBytes: number; raw: Buffer; closed: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), 20_000);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      resolve({ head: raw.subarray(0, end).toString('latin1'), bodyBytes: raw.length - end - 4, raw, closed: true });
    });
    s.write(`GET ${path} HTTP/1.1\r\nHost: test.local\r\nAccept-Encoding: identity\r\n\r\n`);
  });
}

describe('response bodies stream from the origin to the viewer', () => {
  let origin: PacingOrigin;
  let te: TestEdge;
  before(async () => {
    origin = await startPacingOrigin();
    te = await startTestEdge({
      configs: [
        distribution(origin.port, { defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: 'CachingDisabled' } }),
      ],
    });
  });
  after(async () => {
    origin.release();
    await te.close();
    await origin.close();
  });

  test('the first bytes reach the viewer before the origin has finished', async () => {
    // An edge that buffered would wait for the rest forever: let the origin go on after 10 s,
    // so that edge fails the assertion below instead of hanging the test.
    const fallback = setTimeout(() => origin.release(), 10_000);
    const res = await request(`${te.url}/paced`, { headers: { host: 'test.local' } });
    assert.equal(res.statusCode, 200);
    let got = 0;
    for await (const c of res.body) {
      got += (c as Buffer).length;
      if (got >= MB && !origin.finished && got - (c as Buffer).length < MB) {
        assert.equal(origin.finished, false, 'a MiB arrived while the origin still holds the rest');
        origin.release();
      }
    }
    clearTimeout(fallback);
    assert.equal(got, 2 * MB);
    assert.equal(origin.finished, true);
  });

  test('a 256 MiB answer passes with the RSS bounded well below its size', async (t) => {
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const res = await request(`${te.url}/big/256`, { headers: { host: 'test.local' } });
    let got = 0;
    for await (const c of res.body as AsyncIterable<Buffer>) {
      got += c.length;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    t.diagnostic(`RSS ${(before / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB for 256 MiB`);
    assert.equal(got, 256 * MB);
    assert.ok(peak - before < 128 * MB, `RSS rose ${((peak - before) / MB).toFixed(0)} MB for a 256 MiB body`);
  });

  test('an origin that dies mid-body: the viewer gets a cut connection, short of its Content-Length', async () => {
    const r = await rawGet(te.url, '/die');
    assert.match(r.head, /^HTTP\/1\.1 200 /);
    assert.match(r.head, /content-length: 10485760/i);
    assert.ok(r.bodyBytes < 10 * MB, `got ${r.bodyBytes} bytes`);
    assert.ok(r.closed);
  });

  test('an origin that dies mid-body, chunked: no last chunk, so the body never looks complete', async () => {
    const r = await rawGet(te.url, '/die-chunked');
    assert.match(r.head, /^HTTP\/1\.1 200 /);
    assert.match(r.head, /transfer-encoding: chunked/i);
    assert.ok(!r.raw.subarray(-5).equals(Buffer.from('0\r\n\r\n')), 'the edge must not end the chunked body');
    const line = te.accessLog.find((l) => l['cs-uri-stem'] === '/die-chunked');
    assert.ok(line, 'the request is logged');
    assert.ok(te.logs.lines.some((l) => l.msg === 'response body cut'));
  });
});
