/**
 * @module test/scenarios/contain-bodies
 * Issue 9, viewer bodies. A refused request (method not allowed on the behavior, a GET with a
 * body, no distribution) is answered 403 before a byte of its body is read, the connection is
 * closed, and `Expect: 100-continue` is never granted. A body that is read is bounded: a
 * per-request cap (413), a budget across all connections (503 CapacityExceeded, released when
 * the response is done) and an idle timeout (408 ClientCommError). The attack test runs against
 * a spawned `verge edge` (RSS is the point): 30 parallel 50 MB bodies to a GET-only behavior,
 * then 30 parallel 50 MB POSTs to a behavior that takes them, with a function-free path polled
 * throughout without an error and the PoP's RSS bounded after.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { describeHealth, pollHealth } from '../harness/health.js';
import { rawRequest } from '../harness/raw.js';
import { reapOnExit } from '../harness/reap.js';

// bin/verge.js runs src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';

const MB = 1024 * 1024;
const ONE_MB = Buffer.alloc(MB, 0x61);

const config = (originPort: number) =>
  distribution(originPort, {
    cacheBehaviors: [
      {
        pathPattern: '/upload/*',
        targetOriginId: 'o1',
        cachePolicy: 'CachingDisabled',
        allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
      },
    ],
  });

interface Blast {
  status: number;
  /** Bytes of body this client had handed to its socket when the answer arrived (or it closed). */
  sent: number;
  closed: boolean;
}

/**
 * Send `method path` with a `bodyBytes` body (Content-Length, or chunked) over a raw socket,
 * writing as fast as the edge takes it, until the edge answers or closes. Bounded by `timeoutMs`.
 */
function blast(
  url: string,
  o: { method: string; path: string; bodyBytes: number; chunked?: boolean; expect?: boolean; timeoutMs?: number },
): Promise<Blast> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let sent = 0;
    let sentAtAnswer: number | undefined;
    let answer = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        status: Number(/(?:^|\r\n\r\n)HTTP\/1\.1 (?!100)(\d{3})/.exec(answer)?.[1] ?? 0),
        sent: sentAtAnswer ?? sent,
        closed,
      });
    };
    const timer = setTimeout(() => finish(false), o.timeoutMs ?? 60_000);
    socket.on('data', (c: Buffer) => {
      answer += c.toString('latin1');
      // A 100 Continue is not the answer; wait for the final status.
      if (/^HTTP\/1\.1 100 /.test(answer) && !/\r\n\r\nHTTP\/1\.1 /.test(answer)) return;
      sentAtAnswer ??= sent;
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    const framing = o.chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${o.bodyBytes}\r\n`;
    const head =
      `${o.method} ${o.path} HTTP/1.1\r\nHost: test.local\r\n${framing}` +
      `${o.expect ? 'Expect: 100-continue\r\n' : ''}Content-Type: application/octet-stream\r\n\r\n`;
    socket.once('connect', async () => {
      socket.write(head);
      if (o.expect) return; // the body waits for 100 Continue, which a refused request never gets
      while (!done && sent < o.bodyBytes) {
        const n = Math.min(MB, o.bodyBytes - sent);
        const piece = n === MB ? ONE_MB : ONE_MB.subarray(0, n);
        const ok = socket.write(
          o.chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece,
        );
        sent += n;
        if (!ok) await new Promise<void>((r) => (socket.once('drain', r), socket.once('close', r)));
        if (answer.length > 0 && !/^HTTP\/1\.1 100 /.test(answer)) break;
      }
      if (!done && o.chunked && sent >= o.bodyBytes) socket.write('0\r\n\r\n');
    });
  });
}

describe('viewer bodies, in-process', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  before(async () => {
    origin = await startOrigin({ '*': (r) => ({ body: `got ${r.body.length} bytes` }) });
    te = await startTestEdge({
      configs: [config(origin.port)],
      maxBodyBytes: 2 * MB,
      bodyBudgetBytes: 3 * MB,
      bodyIdleTimeoutMs: 400,
    });
  });
  after(async () => {
    await te.close();
    await origin.close();
  });

  test('a method the behavior refuses: 403 before the body is read, and the connection closes', async () => {
    for (const [method, path] of [
      ['PUT', '/static/x'],
      ['POST', '/static/x'],
      ['GET', '/upload/x'], // a GET with a body is refused on any behavior (spec 0.1)
    ] as const) {
      const r = await blast(te.url, { method, path, bodyBytes: 50 * MB, timeoutMs: 20_000 });
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.closed, true, 'the edge closes the connection rather than drain 50 MB');
      assert.ok(r.sent < 25 * MB, `${method} ${path}: the answer came after ${r.sent / MB} MB of body`);
    }
    assert.equal(origin.count('/static/x'), 0);
    const log = te.accessLog.filter((l) => l['cs-uri-stem'] === '/static/x');
    assert.ok(log.every((l) => l['cs-bytes'] === 0 && l['x-edge-detailed-result-type'] === 'InvalidRequestMethod'));
  });

  test('Expect: 100-continue on a refused request: 403 and never a 100 Continue', async () => {
    const r = await rawRequest(
      te.url,
      'PUT /static/e HTTP/1.1\r\nHost: test.local\r\nContent-Length: 52428800\r\nExpect: 100-continue\r\n\r\n',
    );
    assert.equal(r.status, 403);
    assert.doesNotMatch(r.raw, /100 Continue/);
    const ok = await rawRequest(
      te.url,
      'PUT /upload/e HTTP/1.1\r\nHost: test.local\r\nContent-Length: 0\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    );
    assert.equal(ok.status, 200);
  });

  test('past the per-request cap: 413, declared or chunked; the cap itself passes', async () => {
    const declared = await blast(te.url, { method: 'POST', path: '/upload/big', bodyBytes: 3 * MB });
    assert.equal(declared.status, 413);
    const chunked = await blast(te.url, { method: 'POST', path: '/upload/big', bodyBytes: 3 * MB, chunked: true });
    assert.equal(chunked.status, 413);
    assert.equal(origin.count('/upload/big'), 0);
    const fits = await te.request('/upload/fits', { method: 'POST', body: Buffer.alloc(2 * MB, 1) });
    assert.equal(fits.status, 200);
    assert.equal(fits.text, `got ${2 * MB} bytes`);
  });

  test('the budget across connections: 503 CapacityExceeded while it is held, released after', async () => {
    const { hostname, port } = new URL(te.url);
    // A viewer that declares 2 MB and sends half: it holds 2 MB of the 3 MB budget.
    const holder = connect({ host: hostname, port: Number(port) });
    await new Promise<void>((r) => holder.once('connect', () => r()));
    holder.write(`POST /upload/hold HTTP/1.1\r\nHost: test.local\r\nContent-Length: ${2 * MB}\r\n\r\n`);
    holder.write(ONE_MB);
    let answer = '';
    holder.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    await new Promise((r) => setTimeout(r, 100));
    const refused = await te.request('/upload/other', { method: 'POST', body: Buffer.alloc(1.5 * MB, 2) });
    assert.equal(refused.status, 503);
    assert.equal(refused.header('x-cache'), 'CapacityExceeded from verge');
    assert.ok(
      te.accessLog.some((l) => l['cs-uri-stem'] === '/upload/other' && l['x-edge-result-type'] === 'CapacityExceeded'),
    );
    holder.write(ONE_MB); // the rest: the holder completes and returns its share
    for (let i = 0; i < 100 && !/\r\n\r\n.*got/s.test(answer); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(answer, /^HTTP\/1\.1 200 /);
    holder.destroy();
    const again = await te.request('/upload/other', { method: 'POST', body: Buffer.alloc(1.5 * MB, 2) });
    assert.equal(again.status, 200, 'the budget was returned');
  });

  test('a body that stalls: 408 after the idle timeout, logged as ClientCommError', async () => {
    const r = await rawRequest(
      te.url,
      'POST /upload/slow HTTP/1.1\r\nHost: test.local\r\nContent-Length: 1000\r\n\r\nonly-a-few-bytes',
      5_000,
    );
    assert.equal(r.status, 408);
    assert.equal(r.closed, true);
    assert.equal(origin.count('/upload/slow'), 0);
    const line = te.accessLog.find((l) => l['cs-uri-stem'] === '/upload/slow');
    assert.equal(line?.['x-edge-detailed-result-type'], 'ClientCommError');
    assert.match(String(line?.['x-edge-error']), /REQUEST_BODY_TIMEOUT/);
  });
});

/** VmRSS of a process, MB. */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

describe('viewer bodies against a spawned edge: 30 parallel 50 MB bodies', { timeout: 240_000 }, () => {
  let dir: string;
  let origin: Server;
  let child: ChildProcess;
  let url = '';
  let out = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verge-bodies-'));
    // An origin that reads and drops what it is sent.
    origin = createServer((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(`got ${n} bytes`));
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
    const cfg = join(dir, 'dist.json');
    writeFileSync(cfg, JSON.stringify(config((origin.address() as AddressInfo).port)));
    const bin = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));
    const args = ['edge', '--config', cfg, '--host', '127.0.0.1', '--port', '0', '--admin-port', '0'];
    child = spawn(
      process.execPath,
      [
        '--no-node-snapshot',
        bin,
        ...args,
        '--data-dir',
        join(dir, 'pop'),
        '--access-log',
        'off',
        '--body-budget',
        '64',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    reapOnExit(child);
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const deadline = Date.now() + 120_000;
    while (!/viewers\s+(http:\/\/\S+)/.test(out) && child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    url = /viewers\s+(http:\/\/\S+)/.exec(out)?.[1] ?? '';
    assert.ok(url, `the edge did not start:\n${out}`);
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    }
    await new Promise<void>((r) => origin?.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('a GET-only behavior refuses them unread; a behavior that takes bodies stays within its budget', async (t) => {
    // Warm the health path and settle, then take the baseline RSS.
    for (let i = 0; i < 20; i++)
      await fetch(`${url}/health`, { headers: { host: 'test.local' } }).then((r) => r.text());
    const before = rssOf(child.pid!);
    const poll = pollHealth(`${url}/health`, 'test.local', { gapMs: 20 });

    const refused = await Promise.all(
      Array.from({ length: 30 }, (_, i) => blast(url, { method: 'PUT', path: `/static/${i}`, bodyBytes: 50 * MB })),
    );
    const afterRefused = rssOf(child.pid!);
    const taken = await Promise.all(
      Array.from({ length: 30 }, (_, i) => blast(url, { method: 'POST', path: `/upload/${i}`, bodyBytes: 50 * MB })),
    );
    const afterTaken = rssOf(child.pid!);
    const health = await poll.stop();

    t.diagnostic(
      `RSS ${before.toFixed(0)} → ${afterRefused.toFixed(0)} → ${afterTaken.toFixed(0)} MB; ` +
        `answers after ${refused.map((r) => (r.sent / MB).toFixed(0)).join(',')} MB; POSTs ${taken.map((r) => r.status).join(',')}; ${describeHealth(health)}`,
    );
    assert.deepEqual(
      refused.map((r) => r.status),
      Array(30).fill(403),
    );
    const unread = refused.reduce((n, r) => n + r.sent, 0);
    assert.ok(unread < 30 * 25 * MB, `the answers came after ${Math.round(unread / MB)} MB of refused bodies`);
    const statuses = taken.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 200 || s === 503),
      `statuses: ${statuses.join(' ')}`,
    );
    assert.ok(statuses.includes(200), 'bodies within the budget are taken');
    assert.ok(statuses.includes(503), 'past the budget: 503');
    assert.deepEqual(health.errors, [], describeHealth(health));
    assert.ok(health.count > 0);
    // 64 MB of budget plus the buffers of one forwarded body: well under what 30 x 50 MB would take.
    assert.ok(afterRefused - before < 100, `RSS ${before.toFixed(0)} → ${afterRefused.toFixed(0)} MB after refusals`);
    assert.ok(afterTaken - before < 300, `RSS ${before.toFixed(0)} → ${afterTaken.toFixed(0)} MB after 30 POSTs`);
  });
});
