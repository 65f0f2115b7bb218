/**
 * @module test/scenarios/edge-workers-managed
 * Issue 12 ("every core"), managed mode: a spawned `verge edge --control URL --workers 2` is one
 * PoP to the control plane. The primary holds the one watch and hands each snapshot to both
 * workers (a function change is served by both), an invalidation made through the control plane
 * removes the object on both, and the PoP's /healthz lists the two workers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { startFleet, type Fleet, type PopProcess } from '../harness/pops.js';
import { taggerSource, until } from '../harness/replication.js';

interface Answer {
  body: string;
  worker: string;
  fn: string;
}

/** A GET on a connection of its own, so either worker may take it. */
function get(base: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { agent: false, headers: { host: 'multi.test' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ body, worker: String(res.headers['x-verge-worker'] ?? ''), fn: String(res.headers['x-fn'] ?? '') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('verge edge --control --workers 2', () => {
  let fleet: Fleet;
  let origin: ScriptedOrigin;
  let pop: PopProcess;
  let version = 1;
  const api = (method: string, path: string, body?: unknown) => fleet.t.api(method, path, body);
  /** True once both workers answered `path` with `ok` (new connections, bounded). */
  const bothWorkers = async (path: string, ok: (a: Answer) => boolean) => {
    const good = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const a = await get(pop.url, path);
      if (ok(a)) good.add(a.worker);
      else good.delete(a.worker);
    }
    return good.size === 2;
  };
  async function attach(tag: string): Promise<void> {
    const code = { source: taggerSource(tag) };
    const exists = (await api('GET', '/functions/tag')).status === 200;
    const r = exists
      ? await api('PUT', '/functions/tag/code', { code })
      : await api('POST', '/functions', { name: 'tag', runtime: 'nodejs', code });
    assert.ok(r.status < 300, r.text);
    const v = await api('POST', '/functions/tag/publish', {});
    assert.equal(v.status, 201, v.text);
    const triggers = (await api('GET', '/triggers?distributionId=multi')).body as { items?: Array<{ id: string }> };
    for (const t of triggers.items ?? []) await api('DELETE', `/triggers/${t.id}`);
    const t = await api('POST', '/triggers', {
      distributionId: 'multi',
      behavior: 'default',
      eventType: 'viewer-response',
      function: `tag:${v.body.version}`,
    });
    assert.equal(t.status, 201, t.text);
  }

  before(async () => {
    origin = await startOrigin({
      '/obj': () => ({ headers: { 'cache-control': 'max-age=600' }, body: `v${version}` }),
      '*': { headers: { 'cache-control': 'no-store' }, body: 'item' },
    });
    fleet = await startFleet({ pops: [] });
    const d = {
      id: 'multi',
      aliases: ['multi.test'],
      origins: [{ id: 'o', domainName: '127.0.0.1', port: origin.port, protocol: 'http', connectionAttempts: 1 }],
      defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingOptimized' },
    };
    assert.equal((await api('POST', '/distributions', d)).status, 201);
    pop = await fleet.start('w1', ['--workers', '2']);
  });
  after(async () => {
    await fleet?.close();
    await origin?.close();
  });

  test('a snapshot reaches both workers', async () => {
    const health = (await (await fetch(`${pop.adminUrl}/healthz`)).json()) as { workers: unknown[] };
    assert.equal(health.workers.length, 2);
    await attach('one');
    await until('both workers run tag one', () => bothWorkers('/item', (a) => a.fn === 'one'), 60_000, 100);
    await attach('two');
    await until('both workers run tag two', () => bothWorkers('/item', (a) => a.fn === 'two'), 60_000, 100);
  });

  test('an invalidation through the control plane reaches both workers', async () => {
    await until('both workers hold /obj', () => bothWorkers('/obj', (a) => a.body === 'v1'), 30_000, 50);
    version = 2;
    const inv = await api('POST', '/invalidations', { distributionId: 'multi', paths: ['/obj'] });
    assert.ok(inv.status < 300, inv.text);
    await until('neither worker serves v1', () => bothWorkers('/obj', (a) => a.body === 'v2'), 30_000, 100);
  });
});
