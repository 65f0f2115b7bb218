/**
 * @module test/scenarios/edge-workers
 * Issue 12 ("every core"): a spawned `verge edge --workers 2` is one PoP. Viewers on one port
 * are served by both workers (X-Verge-Worker), the one admin listener's /metrics labels each
 * worker's requests, an invalidation answers 201 only once no worker serves the old object, a
 * SIGHUP config switch reaches every worker, concurrent misses of one key spread over both
 * workers make one origin fetch, and a worker killed with SIGKILL is restarted by the primary
 * while the other keeps answering.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution } from '../harness/edge.js';
import { spawnEdge, type EdgeProcess } from '../harness/edge-process.js';

process.env.VERGE_FROM_SOURCE = '1';

interface Answer {
  status: number;
  body: string;
  worker: string;
  cache: string;
}

/** A GET on a connection of its own (so the cluster may hand it to either worker). */
function get(base: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { agent: false, headers: { host: 'test.local' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          body,
          worker: String(res.headers['x-verge-worker'] ?? ''),
          cache: String(res.headers['x-cache'] ?? ''),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** GETs until both workers have answered one that satisfies `ok` (bounded). */
async function fromBothWorkers(base: string, path: string, ok: (a: Answer) => boolean = () => true) {
  const seen = new Map<string, Answer>();
  for (let i = 0; i < 60 && seen.size < 2; i++) {
    const a = await get(base, path);
    if (ok(a)) seen.set(a.worker, a);
  }
  return seen;
}

describe('verge edge --workers 2', () => {
  let origin: ScriptedOrigin;
  let dir: string;
  let config: string;
  let edge: EdgeProcess;
  let admin: string;
  let token: string;
  let version = 1;
  const writeConfig = (target: 'o1' | 'o2') => {
    const d = distribution(origin.port, {
      origins: [
        { id: 'o1', domainName: '127.0.0.1', port: origin.port, protocol: 'http', customHeaders: { 'x-which': 'one' } }, // prettier-ignore
        { id: 'o2', domainName: '127.0.0.1', port: origin.port, protocol: 'http', customHeaders: { 'x-which': 'two' } }, // prettier-ignore
      ],
      defaultCacheBehavior: { targetOriginId: 'o1', cachePolicy: 'CachingOptimized' },
      cacheBehaviors: [{ pathPattern: '/switch', targetOriginId: target, cachePolicy: 'CachingDisabled' }],
    });
    writeFileSync(config, JSON.stringify(d));
  };
  const metrics = async () => {
    const r = await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    return r.text();
  };
  const health = async () =>
    (await (await fetch(`${admin}/healthz`)).json()) as { workers: Array<{ id: number; pid: number; state: string }> };

  before(async () => {
    origin = await startOrigin({
      '/obj': () => ({ headers: { 'cache-control': 'max-age=600' }, body: `v${version}` }),
      '/switch': (r) => ({ headers: { 'cache-control': 'no-store' }, body: String(r.headers['x-which']) }),
      '/slow': { headers: { 'cache-control': 'max-age=600' }, body: 'slow object', delayMs: 1500 },
      '*': { headers: { 'cache-control': 'max-age=600' }, body: 'ok' },
    });
    dir = mkdtempSync(join(tmpdir(), 'verge-workers-'));
    config = join(dir, 'dist.json');
    writeConfig('o1');
    edge = await spawnEdge(config, ['--workers', '2', '--data-dir', join(dir, 'data')]);
    // The lines after "viewers" may arrive in a later chunk.
    for (let i = 0; i < 200 && !/^workers\s/m.test(edge.output()); i++) await new Promise((r) => setTimeout(r, 25));
    admin = /admin\s+(http:\/\/\S+?)\/healthz/.exec(edge.output())![1]!;
    token = readFileSync(join(dir, 'data', 'admin-token'), 'utf8').trim();
  });
  after(async () => {
    await edge?.stop();
    await origin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('both workers serve the one port, and /metrics counts each worker', async () => {
    const seen = await fromBothWorkers(edge.url, '/any');
    assert.deepEqual([...seen.keys()].sort(), ['1', '2']);
    for (const a of seen.values()) assert.equal(a.status, 200);
    const text = await metrics();
    for (const w of ['1', '2'])
      assert.match(text, new RegExp(`verge_requests_total\\{worker="${w}",distribution="test",[^}]*\\} [1-9]`), text);
    assert.match(text, /^verge_edge_workers 2$/m);
  });

  test('an invalidation reaches every worker: after the 201 no worker serves the old object', async () => {
    const hits = await fromBothWorkers(edge.url, '/obj', (a) => a.cache.startsWith('Hit'));
    assert.equal(hits.size, 2, 'both workers hold /obj');
    for (const a of hits.values()) assert.equal(a.body, 'v1');
    version = 2;
    const r = await fetch(`${admin}/invalidations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ paths: ['/obj'] }),
    });
    assert.equal(r.status, 201);
    assert.equal(((await r.json()) as { workers: number }).workers, 2);
    const after = await fromBothWorkers(edge.url, '/obj');
    assert.equal(after.size, 2);
    for (const a of after.values()) assert.equal(a.body, 'v2', `worker ${a.worker} still served the old object`);
  });

  test('a config switch (SIGHUP) reaches every worker', async () => {
    for (const a of (await fromBothWorkers(edge.url, '/switch')).values()) assert.equal(a.body, 'one');
    writeConfig('o2');
    const before = edge.output().length;
    edge.child.kill('SIGHUP');
    for (let i = 0; i < 600 && !/reloaded: plan/.test(edge.output().slice(before)); i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.match(edge.output().slice(before), /reloaded: plan \w+ on 2 workers/);
    const seen = await fromBothWorkers(edge.url, '/switch');
    assert.equal(seen.size, 2);
    for (const a of seen.values()) assert.equal(a.body, 'two', `worker ${a.worker} kept the old config`);
  });

  test('concurrent misses of one key spread over both workers make one origin fetch', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => get(edge.url, '/slow')));
    assert.deepEqual([...new Set(answers.map((a) => a.worker))].sort(), ['1', '2']);
    for (const a of answers) assert.deepEqual([a.status, a.body], [200, 'slow object']);
    assert.equal(origin.count('/slow'), 1, 'one origin fetch for the whole PoP');
  });

  test('a worker killed with SIGKILL comes back; the PoP answers meanwhile', async () => {
    const victim = (await health()).workers.find((w) => w.id === 1)!;
    process.kill(victim.pid, 'SIGKILL');
    let h = await health();
    for (let i = 0; i < 200 && h.workers.find((w) => w.id === 1)!.state === 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      h = await health();
    }
    // While worker 1 is away, every request is answered (by worker 2, or by the new worker 1
    // once it is up: it can be ready between a health check and the next request).
    let answered = 0;
    for (let i = 0; i < 1200; i++) {
      h = await health();
      const w1 = h.workers.find((w) => w.id === 1)!;
      if (w1.state === 'ready' && w1.pid !== victim.pid) break;
      const a = await get(edge.url, '/any');
      assert.equal(a.status, 200);
      answered++;
    }
    assert.ok(answered > 0, 'requests were sent while the worker was away');
    const w1 = (await health()).workers.find((w) => w.id === 1)!;
    assert.equal(w1.state, 'ready');
    assert.notEqual(w1.pid, victim.pid);
    const seen = await fromBothWorkers(edge.url, '/any');
    assert.deepEqual([...seen.keys()].sort(), ['1', '2']);
    assert.match(await metrics(), /^verge_edge_worker_restarts_total 1$/m);
  });
});
