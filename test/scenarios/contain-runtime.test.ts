/**
 * @module test/scenarios/contain-runtime.test
 * No function takes a PoP past its limits (issue 9, the function runtime), tried as an attacker
 * would against a real `verge edge` process whose RSS is read from /proc, while a function-free
 * path is polled (no error, latency within the bound of test/harness/health.ts):
 * - a 200,000-timer flood from two clients at once (before: ~4 s of the edge's event loop per
 *   request, ~330 MB left behind, unrelated requests timed out);
 * - 1 GiB WebAssembly memories in a 128 MB function, three at a time (before: 200 OK and the
 *   warm isolate kept them, 6.85 GB of RSS), beside a module growing its own memory from inside
 *   WebAssembly;
 * - a function that spins 45 ms synchronously at 4 clients (before: the plain path's p99 went
 *   from 30 to 235 ms, since each spin ran on the edge's event loop).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { Worker } from 'node:worker_threads';
import { distribution } from '../harness/edge.js';
import { spawnEdge, type EdgeProcess } from '../harness/edge-process.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { baseline, describeHealth, latencyBound, pollHealth, type HealthReport } from '../harness/health.js';

const HOST = 'test.local';

const FLOOD = `
exports.handler = async () => {
  let made = 0, code;
  for (let i = 0; i < 200000; i++) {
    try { setTimeout(() => {}, 1e9); made++; } catch (err) { code = err.code; break; }
  }
  return { status: '200', body: JSON.stringify({ made, code }) };
};`;

const WASM = `
exports.handler = async () => {
  const m = new WebAssembly.Memory({ initial: 16384, maximum: 65536 });
  new Uint8Array(m.buffer).fill(1);
  m.grow(16384);
  new Uint8Array(m.buffer).fill(2);
  return { status: '200', body: String(m.buffer.byteLength) };
};`;

/** A module whose own memory has no maximum, grown and filled from inside WebAssembly. */
const GROW = `
const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,11,2,96,1,127,1,127,96,2,127,127,0,3,3,2,0,1,5,3,1,0,1,
  7,24,3,6,109,101,109,111,114,121,2,0,4,103,114,111,119,0,0,4,102,105,108,108,0,1,
  10,20,2,6,0,32,0,64,0,11,11,0,32,0,65,1,32,1,252,11,0,11]);
const { grow, fill, memory } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
exports.handler = async () => {
  const huge = grow(65535);
  const some = grow(1000);
  fill(0, memory.buffer.byteLength);
  return { status: '200', body: JSON.stringify({ huge, some, mb: memory.buffer.byteLength / 1048576 }) };
};`;

const SPIN = `
exports.handler = async () => {
  const end = Date.now() + 45;
  while (Date.now() < end) {}
  return { status: '200', body: 'spun' };
};`;

async function get(url: string): Promise<{ status: number; text: string; xCache: string }> {
  const r = await request(url, { headers: { host: HOST }, headersTimeout: 30_000, bodyTimeout: 30_000 });
  return { status: r.statusCode, text: await r.body.text(), xCache: String(r.headers['x-cache'] ?? '') };
}

/** `clients` loops, each sending `path` until `ms` have passed (at most `max` requests each). */
async function attack(
  url: string,
  clients: number,
  ms: number,
  max: number,
): Promise<Array<{ status: number; text: string; xCache: string }>> {
  const end = performance.now() + ms;
  const out: Array<{ status: number; text: string; xCache: string }> = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < max && performance.now() < end; i++) out.push(await get(url));
    }),
  );
  return out;
}

function assertHealthy(h: HealthReport, base: HealthReport): void {
  assert.deepEqual(h.errors, [], `the function-free path failed under attack: ${describeHealth(h)}`);
  assert.ok(h.count > 0, 'the function-free path was polled');
  assert.ok(h.p99 <= latencyBound(base), `under attack: ${describeHealth(h)}; baseline ${describeHealth(base)}`);
}

describe('containment: no function takes the PoP past its limits', () => {
  let origin: ScriptedOrigin;
  let edge: EdgeProcess;
  const fn = (path: string, file: string) => ({
    pathPattern: path,
    targetOriginId: 'o1',
    functionAssociations: [{ eventType: 'viewer-request', function: `./functions/${file}` }],
  });

  before(async () => {
    origin = await startOrigin({ '/plain': { status: 200, headers: { 'cache-control': 'max-age=600' }, body: 'ok' } });
    const dir = mkdtempSync(join(tmpdir(), 'verge-contain-'));
    const files: Record<string, string> = { 'flood.js': FLOOD, 'wasm.js': WASM, 'grow.js': GROW, 'spin.js': SPIN };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'functions'));
    for (const [name, code] of Object.entries(files)) writeFileSync(join(dir, 'functions', name), code);
    const config = distribution(origin.port, {
      cacheBehaviors: [
        fn('/flood', 'flood.js'),
        fn('/wasm', 'wasm.js'),
        fn('/grow', 'grow.js'),
        fn('/spin', 'spin.js'),
      ],
    });
    writeFileSync(join(dir, 'dist.json'), JSON.stringify(config));
    edge = await spawnEdge(join(dir, 'dist.json'));
    for (let i = 0; i < 3; i++) assert.equal((await get(edge.url + '/plain')).status, 200);
  });
  after(async () => {
    await edge?.stop();
    await origin?.close();
  });

  test('a 200,000-timer flood from two clients: refused past 10,000 timers, the PoP unharmed', async () => {
    const base = await baseline(edge.url + '/plain', HOST, 800);
    const rss0 = edge.rssMB();
    const poll = pollHealth(edge.url + '/plain', HOST);
    const answers = await attack(edge.url + '/flood', 2, 4_000, 40);
    const h = await poll.stop();
    assert.ok(answers.length >= 2);
    // A warm isolate keeps its timers (Lambda's frozen environment): its next flood adds none.
    const made = answers.map((a) => {
      assert.equal(a.status, 200, a.text);
      const b = JSON.parse(a.text) as { made: number; code: string };
      assert.equal(b.code, 'FUNCTION_TIMER_LIMIT');
      return b.made;
    });
    assert.ok(made.includes(10_000) && made.every((m) => m === 0 || m === 10_000), `timers made: ${made.join(', ')}`);
    assertHealthy(h, base);
    const rss = edge.rssMB();
    assert.ok(rss <= rss0 + 200, `edge RSS ${rss.toFixed(0)} MB after the flood (${rss0.toFixed(0)} MB before)`);
  });

  test('1 GiB WebAssembly memories in a 128 MB function, three at a time: out of memory, RSS bounded', async () => {
    const base = await baseline(edge.url + '/plain', HOST, 800);
    const rss0 = edge.rssMB();
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, edge.rssMB())), 20);
    const poll = pollHealth(edge.url + '/plain', HOST);
    const answers = await attack(edge.url + '/wasm', 3, 3_000, 10);
    const h = await poll.stop();
    clearInterval(sampler);
    for (const a of answers) {
      assert.equal(a.status, 503, a.text);
      assert.match(a.xCache, /^LambdaExecutionError/);
    }
    // A module growing its own memory from inside WebAssembly (one 64 MB memory.fill is a single
    // instruction no slice can interrupt, so this one runs outside the health window).
    const grown = await get(edge.url + '/grow');
    assert.equal(grown.status, 200, grown.text);
    const g = JSON.parse(grown.text) as { huge: number; some: number; mb: number };
    assert.equal(g.huge, -1, 'growing past the limit from inside WebAssembly is refused');
    assert.ok(g.mb <= 128, `the module's memory stayed within the limit: ${g.mb} MB`);
    assertHealthy(h, base);
    assert.ok(peak <= rss0 + 700, `edge RSS peaked at ${peak.toFixed(0)} MB (${rss0.toFixed(0)} MB before)`);
    const rss = edge.rssMB();
    assert.ok(rss <= rss0 + 300, `edge RSS ${rss.toFixed(0)} MB after (${rss0.toFixed(0)} MB before)`);
  });

  test('a function spinning 45 ms synchronously at 4 clients costs its own requests, not the plain path', async () => {
    // The same CPU contention without the edge involved (4 threads spinning in this process): a
    // loaded 2-core machine slows the plain path by itself, and only blocking must fail the test.
    const hogs = Array.from(
      { length: 4 },
      () => new Worker('const end = Date.now() + 3000; while (Date.now() < end) {}', { eval: true }),
    );
    const contended = await baseline(edge.url + '/plain', HOST, 2_500);
    await Promise.all(hogs.map((w) => w.terminate()));
    const poll = pollHealth(edge.url + '/plain', HOST);
    const answers = await attack(edge.url + '/spin', 4, 3_000, 60);
    const h = await poll.stop();
    assert.ok(answers.length >= 8, `spin requests answered: ${answers.length}`);
    for (const a of answers) assert.equal(a.status, 200, a.text);
    assertHealthy(h, contended);
    // On the edge's event loop (before), most plain requests waited for part of a spin.
    assert.ok(h.p50 < 45, `the plain path's median waits for a spin: ${describeHealth(h)}`);
  });
});
