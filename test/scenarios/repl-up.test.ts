/**
 * `verge up` end to end on free loopback ports: the first start seeds the demo distribution and
 * its two example functions through the API and every PoP (a child process) serves their
 * effect, and the default geo overrides place 127.0.0.2-9 in countries; tokens are stored
 * owner-only; a PoP killed from outside is restarted and serves again; a second start (with
 * its own --geo-overrides file) resumes the same state without seeding twice; stopping leaves
 * no child behind.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { request } from 'undici';
import { PortError } from '../../src/cli/ports.js';
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

/** GET through a PoP from the loopback source address `from` (what `curl --interface` does). */
function fromAddress(url: string, path: string, from: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url.replace('localhost', '127.0.0.1') + path, {
      localAddress: from,
      headers: { host: 'localhost' },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve(JSON.parse(body) as Record<string, string>));
    });
    req.on('error', reject);
    req.end();
  });
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
    // The default geo overrides place 127.0.0.2-127.0.0.9 in countries; 127.0.0.1 stays unknown.
    const url = up.popUrls['eu-west-1']!;
    assert.equal((await fromAddress(url, '/api/geo', '127.0.0.3'))['cloudfront-viewer-country'], 'DE');
    assert.equal((await fromAddress(url, '/api/geo', '127.0.0.6'))['cloudfront-viewer-city'], 'Tokyo');
    assert.equal((await fromAddress(url, '/api/geo', '127.0.0.1'))['cloudfront-viewer-country'], undefined);
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

  test('a second start (with --geo-overrides FILE) resumes the same state without seeding again; stopping leaves no child', async () => {
    const pids = Object.values(up!.supervisor.pids()) as number[];
    await up!.close();
    up = null;
    for (const pid of pids) assert.equal(alive(pid), false, `child ${pid} stopped`);
    const geoOverrides = join(dataDir, 'my-geo.json');
    writeFileSync(geoOverrides, JSON.stringify({ '127.0.0.3/32': { countryCode: 'NZ', city: 'Wellington' } }));
    up = await startUp({ ...opts, geoOverrides });
    assert.equal(up.seeded, false);
    const geo = await fromAddress(up.popUrls['us-east-1']!, '/api/geo', '127.0.0.3');
    assert.deepEqual([geo['cloudfront-viewer-country'], geo['cloudfront-viewer-city']], ['NZ', 'Wellington']);
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

  test('another start on taken ports: one line naming the port and the flag, nothing started', async () => {
    const other = mkdtempSync(join(tmpdir(), 'verge-up-'));
    const again = startUp({ ...opts, dataDir: other });
    await assert.rejects(again, (e: Error) => {
      assert.ok(e instanceof PortError, String(e));
      assert.equal(
        e.message,
        `port ${opts.port} (control plane and console) is already in use on 127.0.0.1:${opts.port}; choose another with --port N`,
      );
      return true;
    });
    const [free] = await freePorts(1);
    await assert.rejects(startUp({ ...opts, port: free!, dataDir: other }), {
      name: 'PortError',
      message: new RegExp(`^port ${opts.edgePorts[0]} \\(PoP us-east-1\\) is already in use .*--edge-ports A,B,C$`),
    });
    assert.deepEqual(readdirSync(other), [], 'nothing was written to the data dir');
  });
});
