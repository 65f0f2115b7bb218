// Control plane auth: the admin token created on first start (file mode 0600, only its hash
// stored), 401 without or with a revoked token, 403 for edge tokens on admin routes and on
// another PoP's data; malformed paths are the caller's 400, before authentication.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestControl, type TestControl } from '../../src/control/testing/harness.js';
import { rawRequest } from '../harness/raw.js';
import { reapOnExit } from '../harness/reap.js';

// bin/verge.js runs src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';

describe('control plane auth', () => {
  let t: TestControl;
  before(async () => {
    t = await startTestControl();
  });
  after(() => t.close());

  test('the first start writes the admin token (vrg_, mode 0600) and stores only its hash', () => {
    const file = join(t.dir, 'data', 'admin-token');
    assert.equal(readFileSync(file, 'utf8').trim(), t.adminToken);
    assert.match(t.adminToken, /^vrg_[A-Za-z0-9_-]{43,}$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(t.dir, 'data', 'secret.key')).mode & 0o777, 0o600);
    const db = readFileSync(join(t.dir, 'data', 'verge.db'));
    assert.equal(db.includes(Buffer.from(t.adminToken)), false, 'the token itself is not in the database');
  });

  test('401 without a token, with a malformed header and with an unknown token', async () => {
    for (const token of [null, 'vrg_nope']) {
      const r = await t.api('GET', '/functions', undefined, { token });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'UNAUTHORIZED');
    }
    const r = await t.api('GET', '/functions', undefined, { token: null, headers: { authorization: 'Basic abc' } });
    assert.equal(r.status, 401);
  });

  test('a malformed %-escape in a path parameter → 400 before authentication, no stack trace logged', async () => {
    const before = t.logger.lines.length;
    for (const token of [null, undefined]) {
      const r = await t.api('GET', '/functions/%E0%A4%A', undefined, { token });
      assert.equal(r.status, 400, `token ${token === null ? 'absent' : 'valid'}`);
      assert.equal(r.body.error.code, 'VALIDATION_FAILED');
      assert.match(r.body.error.message, /malformed %-escape/);
    }
    // A target that is no URL at all reaches the listener too; it must not throw out of it.
    const raw = await rawRequest(t.control.url, 'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(raw.status, 400);
    const logged = t.logger.lines.slice(before);
    assert.deepEqual(
      logged.filter((l) => l.level === 'error' || l.level === 'warn' || /\n\s+at /.test(JSON.stringify(l))),
      [],
    );
    assert.equal((await t.api('GET', '/healthz', undefined, { token: null })).status, 200, 'still serving');
  });

  test('public routes need no token', async () => {
    assert.equal((await t.api('GET', '/healthz', undefined, { token: null })).status, 200);
    assert.equal((await t.api('GET', '/openapi.json', undefined, { token: null })).status, 200);
  });

  test('a created admin token works until it is revoked, then gets 401', async () => {
    const c = await t.api('POST', '/tokens', { name: 'ci', kind: 'admin' });
    assert.equal(c.status, 201);
    assert.match(c.body.token, /^vrg_/);
    assert.equal((await t.api('GET', '/functions', undefined, { token: c.body.token })).status, 200);
    const list = await t.api('GET', '/tokens');
    assert.ok(list.body.items.some((x: { id: string }) => x.id === c.body.id));
    assert.equal(list.text.includes(c.body.token), false, 'listing never shows tokens');
    assert.equal((await t.api('DELETE', `/tokens/${c.body.id}`)).status, 204);
    const r = await t.api('GET', '/functions', undefined, { token: c.body.token });
    assert.equal(r.status, 401);
    const revoked = (await t.api('GET', '/tokens')).body.items.find((x: { id: string }) => x.id === c.body.id);
    assert.ok(revoked.revokedAt);
  });

  test('token validation names the field', async () => {
    const r = await t.api('POST', '/tokens', { name: 'e', kind: 'edge' });
    assert.equal(r.status, 400);
    assert.deepEqual(
      r.body.error.fields.map((f: { path: string }) => f.path),
      ['$.pop'],
    );
    const r2 = await t.api('POST', '/tokens', { name: 'x', kind: 'root' });
    assert.equal(r2.body.error.fields[0].path, '$.kind');
    assert.equal((await t.api('DELETE', '/tokens/tok_missing')).status, 404);
  });

  test('edge tokens: 403 on admin routes and on another PoP, allowed for their own PoP', async () => {
    const e = (await t.api('POST', '/tokens', { name: 'edge a', kind: 'edge', pop: 'pop-a' })).body.token as string;
    for (const [m, p, b] of [
      ['GET', '/functions', undefined],
      ['POST', '/distributions', {}],
      ['GET', '/pops', undefined],
      ['POST', '/tokens', { name: 'x', kind: 'admin' }],
      ['GET', '/logs', undefined],
    ] as const) {
      const r = await t.api(m, p, b, { token: e });
      assert.equal(r.status, 403, `${m} ${p}`);
      assert.equal(r.body.error.code, 'FORBIDDEN');
    }
    const reg = { region: 'r', appliedVersion: 0, edgeVersion: 'test' };
    assert.equal((await t.api('POST', '/edge/register', { pop: 'pop-b', ...reg }, { token: e })).status, 403);
    assert.equal((await t.api('POST', '/edge/register', { pop: 'pop-a', ...reg }, { token: e })).status, 200);
    assert.equal((await t.api('POST', '/edge/acks', { pop: 'pop-b', version: 1, ok: true }, { token: e })).status, 403);
    assert.equal(
      (await t.api('POST', '/edge/logs', { batchId: 'b1', pop: 'pop-b', records: [] }, { token: e })).status,
      403,
    );
    assert.equal(
      (await t.api('POST', '/edge/metrics', { batchId: 'b1', pop: 'pop-b', points: [] }, { token: e })).status,
      403,
    );
    const w = await fetch(t.control.url + '/api/v1/edge/watch?pop=pop-b', {
      headers: { authorization: `Bearer ${e}` },
    });
    assert.equal(w.status, 403);
    await w.text();
  });
});

test('the first `verge control` prints where the admin token is, never the token', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-control-print-'));
  const bin = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));
  const child = spawn(process.execPath, ['--no-node-snapshot', bin, 'control', '--port', '0', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  reapOnExit(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const deadline = Date.now() + 60_000;
    while (!/admin token[^\n]*\n.*\n/.test(out) && child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
    assert.match(token, /^vrg_/);
    assert.match(out, new RegExp(`admin token\\s+in ${join(dir, 'admin-token').replace(/[.*+?^$()|[\]\\]/g, '\\$&')}`));
    assert.equal(out.includes(token), false, `the token is not printed:\n${out}`);
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
