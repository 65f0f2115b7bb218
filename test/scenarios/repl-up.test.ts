/**
 * `verge up` end to end on free loopback ports: the first start seeds the demo distribution and
 * its two example functions through the API and every PoP (a child process) serves their
 * effect; tokens are stored owner-only; a PoP killed from outside is restarted and serves
 * again; a second start resumes the same state without seeding twice; stopping leaves no
 * child behind.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startUp, type Up } from '../../src/cli/up-command.js';
import { adminApi } from '../../src/cli/up-seed.js';
import { readAdminToken } from '../../src/cli/up-wait.js';
import { freePorts } from '../harness/ports.js';
import { until } from '../harness/replication.js';

async function viaPop(url: string, path: string) {
  const r = await request(url.replace('localhost', '127.0.0.1') + path, { headers: { host: 'localhost' } });
  return {
    status: r.statusCode,
    fn: r.headers['x-verge-function'],
    pop: r.headers['x-verge-pop'],
    text: await r.body.text(),
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('verge up', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'verge-up-'));
  const lines: string[] = [];
  let up: Up | null = null;
  let opts: Parameters<typeof startUp>[0];

  after(async () => {
    await up?.close();
  });

  test('first start: seeds the demo, every PoP serves both example functions, secrets are owner-only', async () => {
    const ports = await freePorts(8);
    opts = {
      port: ports[0]!,
      edgePorts: ports.slice(1, 4),
      adminPorts: ports.slice(4, 7),
      originPort: ports[7]!,
      dataDir,
      print: (l) => lines.push(l),
    };
    up = await startUp(opts);
    assert.equal(up.seeded, true);
    assert.ok(lines.some((l) => l.includes(`export VERGE_URL=${up!.controlUrl} VERGE_TOKEN=$(cat`)));
    for (const [pop, url] of Object.entries(up.popUrls)) {
      const r = await viaPop(url, '/p/42');
      assert.equal(r.status, 200);
      assert.equal(r.pop, pop);
      assert.equal(r.fn, 'security-headers');
      assert.match(r.text, /<h1>Product 42<\/h1>/, 'the short-link rewrite ran');
    }
    for (const f of ['admin-token', 'edges.json']) assert.equal(statSync(join(dataDir, f)).mode & 0o777, 0o600, f);
  });

  test('a PoP killed from outside is restarted and serves again', async () => {
    const pid = up!.supervisor.pids()['eu-west-1']!;
    process.kill(pid, 'SIGKILL');
    await until(
      'a restart',
      () => up!.supervisor.restarts('eu-west-1') === 1 && up!.supervisor.pids()['eu-west-1'] !== null,
      10_000,
    );
    assert.ok(lines.some((l) => /^\[eu-west-1\] killed by SIGKILL; restarting in/.test(l)));
    await until(
      'eu-west-1 serving again',
      async () => (await viaPop(up!.popUrls['eu-west-1']!, '/p/7').catch(() => null))?.fn === 'security-headers',
      30_000,
      200,
    );
  });

  test('a second start resumes the same state without seeding again; stopping leaves no child', async () => {
    const pids = Object.values(up!.supervisor.pids()) as number[];
    await up!.close();
    up = null;
    for (const pid of pids) assert.equal(alive(pid), false, `child ${pid} stopped`);
    up = await startUp(opts);
    assert.equal(up.seeded, false);
    const api = adminApi(up.controlUrl, readAdminToken(dataDir));
    const fns = await api<{ items: Array<{ name: string }> }>('GET', '/functions');
    const versions = await Promise.all(
      fns.items.map(async (f) => [
        f.name,
        (await api<{ items: unknown[] }>('GET', `/functions/${f.name}/versions`)).items.length,
      ]),
    );
    assert.deepEqual(versions.sort(), [
      ['security-headers', 1],
      ['short-links', 1],
    ]);
    const r = await viaPop(up.popUrls['ap-south-1']!, '/p/42');
    assert.equal(r.fn, 'security-headers');
  });
});
