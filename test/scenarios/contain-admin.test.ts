/**
 * @module test/scenarios/contain-admin
 * Issue 9: the PoP's admin listener is authenticated with its own token even on loopback. An
 * attacker on the machine (or a function that got past the egress policy) without the token
 * gets 401 from /invalidations, /config and /metrics and changes nothing: the cache keeps its
 * objects while a function-free path is polled without an error. The token file is created with
 * mode 0600 in the PoP's data dir and a file other users could read, or a symlink, is refused.
 * A spawned `verge edge` prints where the token is, never the token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startEdge } from '../../src/edge/edge.js';
import { startOrigin, type ScriptedOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';
import { describeHealth, pollHealth } from '../harness/health.js';
import { reapOnExit } from '../harness/reap.js';

// bin/verge.js runs src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';

describe('admin listener: no token, no access', () => {
  let origin: ScriptedOrigin;
  let te: TestEdge;
  let dataDir: string;
  before(async () => {
    origin = await startOrigin({ '*': { headers: { 'cache-control': 'max-age=600' }, body: 'cached' } });
    dataDir = mkdtempSync(join(tmpdir(), 'verge-admin-'));
    te = await startTestEdge({ configs: [distribution(origin.port)], runtime: nullRuntime, adminPort: 0, dataDir });
  });
  after(async () => {
    await te.close();
    await origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, auth?: string, body?: string) => {
    const r = await request(te.edge.adminUrl + path, {
      method: method as 'GET',
      headers: { ...(auth ? { authorization: auth } : {}), 'content-type': 'application/json' },
      ...(body ? { body } : {}),
    });
    return { status: r.statusCode, text: await r.body.text(), headers: r.headers };
  };

  test('the token is in <data-dir>/admin-token, mode 0600', () => {
    const file = join(dataDir, 'admin-token');
    assert.equal(te.edge.adminTokenFile, file);
    assert.equal(readFileSync(file, 'utf8').trim(), te.edge.adminToken);
    assert.match(te.edge.adminToken!, /^vea_[A-Za-z0-9_-]{43}$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test('without the right token every admin route is 401 and nothing changes; /healthz stays open', async () => {
    await te.get('/kept');
    assert.equal((await te.get('/kept')).header('x-cache'), 'Hit from verge');
    const poll = pollHealth(te.url + '/health-probe', 'test.local');
    const attempts: Array<[string, string, string | undefined, string | undefined]> = [];
    const everything = JSON.stringify({ paths: ['/*'] });
    for (const auth of [undefined, 'Bearer vea_wrong', `Basic ${te.edge.adminToken}`, `Bearer ${te.edge.adminToken}x`])
      attempts.push(
        ['POST', '/invalidations', auth, everything],
        ['GET', '/config', auth, undefined],
        ['GET', '/metrics', auth, undefined],
        ['GET', '/nope', auth, undefined],
      );
    for (const [method, path, auth, body] of attempts) {
      const r = await call(method, path, auth, body);
      assert.equal(r.status, 401, `${method} ${path} with ${auth ?? 'no Authorization'}`);
      assert.match(r.text, /UNAUTHORIZED/);
      assert.match(r.text, new RegExp(`in ${join(dataDir, 'admin-token')}`), 'the answer says where the token is');
      assert.doesNotMatch(r.text, new RegExp(te.edge.adminToken!), 'never the token itself');
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
    }
    const health = await poll.stop();
    assert.deepEqual(health.errors, [], describeHealth(health));
    assert.equal((await te.get('/kept')).header('x-cache'), 'Hit from verge', 'the invalidation did not happen');
    assert.equal((await call('GET', '/healthz')).status, 200);
    // And with the token, it works.
    const ok = await call('POST', '/invalidations', `Bearer ${te.edge.adminToken}`, everything);
    assert.equal(ok.status, 201, ok.text);
    assert.equal((await te.get('/kept')).header('x-cache'), 'Miss from verge');
    const config = await call('GET', '/config', `bearer ${te.edge.adminToken}`);
    assert.equal(config.status, 200);
  });
});

describe('admin token file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-admin-file-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const start = (dataDir: string) =>
    startEdge({
      configPaths: [writeConfig()],
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
      dataDir,
      geo: false,
      runtime: nullRuntime,
      accessLog: 'off',
    });
  const writeConfig = () => {
    const p = join(dir, 'dist.json');
    writeFileSync(p, JSON.stringify(distribution(9)));
    return p;
  };

  test('kept across restarts; a readable-by-others file or a symlink is refused by name', async () => {
    const dataDir = join(dir, 'pop');
    const a = await start(dataDir);
    const token = a.adminToken;
    await a.close();
    const b = await start(dataDir);
    assert.equal(b.adminToken, token, 'the same token after a restart');
    await b.close();

    chmodSync(join(dataDir, 'admin-token'), 0o644);
    await assert.rejects(start(dataDir), /admin token file .*admin-token has mode 644; other users could read it/);

    const planted = join(dir, 'planted');
    mkdirSync(planted);
    writeFileSync(join(planted, 'victim'), 'vea_someone-elses-file-contents\n', { mode: 0o600 });
    const other = join(dir, 'pop2');
    mkdirSync(other);
    symlinkSync(join(planted, 'victim'), join(other, 'admin-token'));
    await assert.rejects(start(other), /admin-token is not a regular file/);
    assert.equal(readFileSync(join(planted, 'victim'), 'utf8'), 'vea_someone-elses-file-contents\n');
  });

  test('`verge edge` prints where the token is, not the token, and the file works', async () => {
    const dataDir = join(dir, 'spawned');
    const config = writeConfig();
    const bin = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));
    const args = ['edge', '--config', config, '--host', '127.0.0.1', '--port', '0', '--admin-port', '0'];
    const child = spawn(
      process.execPath,
      ['--no-node-snapshot', bin, ...args, '--data-dir', dataDir, '--access-log', 'off'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    reapOnExit(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      const deadline = Date.now() + 120_000;
      while (!/admin token\s+in /.test(out) && child.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const file = join(dataDir, 'admin-token');
      assert.match(out, new RegExp(`admin token\\s+in ${file.replace(/[.*+?^$()|[\]\\]/g, '\\$&')}`), out);
      const token = readFileSync(file, 'utf8').trim();
      assert.equal(out.includes(token), false, 'the token is not printed');
      const admin = /(http:\/\/\S+?)\/healthz/.exec(out)![1]!;
      assert.equal((await request(`${admin}/config`)).statusCode, 401);
      const r = await request(`${admin}/config`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.statusCode, 200);
      assert.match(await r.body.text(), /"distributions"/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
