// The `verge` CLI against an in-process control plane (no edges): what the tables show for
// functions and their versions, and removing a PoP that is gone for good. Each command is the
// real executable (`bin/verge.js`) with VERGE_URL / VERGE_TOKEN, bounded in time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distribution, startTestControl, taggingSource, type TestControl } from '../../src/control/testing/harness.js';
import { FakeClock } from '../../src/shared/clock.js';

const BIN = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));
// The CLI from src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the CLI over the control plane API', () => {
  // Real time at the start, so the CLI's own "ago" columns stay sensible; moved by hand after.
  const clock = new FakeClock(Date.now());
  let t: TestControl;
  const verge = (args: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      const env = {
        ...process.env,
        VERGE_URL: t.control.url,
        VERGE_TOKEN: t.adminToken,
        VERGE_CONFIG: join(t.dir, 'no-profile.json'),
      };
      const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], { env, stdio: 'pipe' });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`verge ${args.join(' ')} did not finish in 60 s\n${stdout}\n${stderr}`));
      }, 60_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, stdout, stderr });
      });
    });

  before(async () => {
    t = await startTestControl({ clock, pingIntervalMs: 60_000 });
  });
  after(() => t.close());

  test('functions list shows each function’s version count and latest version', async () => {
    for (const name of ['alpha', 'beta'])
      await t.api('POST', '/functions', { name, runtime: 'nodejs', code: { source: taggingSource(name) } });
    await t.api('POST', '/functions/alpha/publish');
    await t.api('POST', '/functions/alpha/publish');
    const r = await verge(['functions', 'list']);
    assert.equal(r.code, 0, r.stderr);
    const row = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(name + ' '));
    assert.match(row('alpha') ?? '', /\s2 \(latest v2\)\s/);
    assert.match(row('beta') ?? '', /\s0\s/);
    assert.match(r.stdout.split('\n')[0]!, /VERSIONS/);
  });

  test('pops remove: a gone PoP is removed and named in the status before; a healthy one needs --force', async () => {
    const register = async (pop: string) => {
      const token = (await t.api('POST', '/tokens', { name: pop, kind: 'edge', pop })).body.token;
      await t.api('POST', '/edge/register', { pop, region: 'r', appliedVersion: 0 }, { token });
    };
    await register('gone');
    await t.api('POST', '/distributions', distribution('shop'));
    clock.advance(10 * 60_000);
    await register('alive');
    const get = await verge(['distributions', 'get', 'shop']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /status:\s+InProgress \(waiting for alive, gone\)/);
    assert.match(get.stdout, /detail:.*gone is down.*`verge pops remove gone`/);
    assert.doesNotMatch(get.stdout, /verge pops remove alive/);

    const refused = await verge(['pops', 'remove', 'alive']);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /PoP alive is healthy.*--force/s);
    assert.equal((await t.api('GET', '/pops')).body.items.length, 2, 'nothing removed');

    const gone = await verge(['pops', 'remove', 'gone']);
    assert.equal(gone.code, 0, gone.stderr);
    assert.match(gone.stdout, /removed PoP gone; its edge tokens are revoked/);
    assert.match(gone.stdout, /shop: InProgress: waiting for alive to apply snapshot 1/);
    const forced = await verge(['pops', 'remove', 'alive', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /every distribution is Deployed/);
    const unknown = await verge(['pops', 'remove', 'alive']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /NOT_FOUND.*alive is not registered/);
  });

  test('errors speak CLI: a misspelled function does not exist, a missing version names the publish command', async () => {
    await t.api('POST', '/distributions', distribution('trig'));
    await t.api('POST', '/functions', { name: 'gamma', runtime: 'nodejs', code: { source: taggingSource('g') } });
    await t.api('POST', '/functions/gamma/publish');
    const add = (fn: string) =>
      verge(['triggers', 'add', '--distribution', 'trig', '--behavior', 'default', '--event', 'viewer-request', '--function', fn]); // prettier-ignore
    const typo = await add('gama:1');
    assert.equal(typo.code, 1, typo.stdout + typo.stderr);
    assert.match(typo.stderr, /function gama does not exist \(`verge functions list` lists them\)/);
    assert.doesNotMatch(typo.stderr, /publish|\/api\/v1/);
    const noVersion = await add('gamma:7');
    assert.equal(noVersion.code, 1, noVersion.stdout + noVersion.stderr);
    assert.match(
      noVersion.stderr,
      /function gamma has no version 7 \(its newest is 1; publish a new one: `verge functions publish gamma`\)/,
    );
    assert.doesNotMatch(noVersion.stderr, /\/api\/v1/);
    const publish = await verge(['functions', 'publish', 'gama']);
    assert.equal(publish.code, 1);
    assert.match(publish.stderr, /function gama does not exist \(`verge functions list` lists them\)/);
    // The API itself still names its own routes.
    const api = await t.api('POST', '/triggers', { distributionId: 'trig', behavior: 'default', eventType: 'viewer-request', function: 'gama:1' }); // prettier-ignore
    assert.equal(api.status, 400);
    assert.match(JSON.stringify(api.body), /function gama does not exist \(GET \/api\/v1\/functions lists them\)/);
    // One function per behavior and event: attaching another says which one it replaces.
    const first = await add('gamma:1');
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stdout, /replacing/);
    await t.api('POST', '/functions', { name: 'delta', runtime: 'nodejs', code: { source: taggingSource('d') } });
    await t.api('POST', '/functions/delta/publish');
    const second = await add('delta:1');
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stdout,
      /attached delta:1 to trig default viewer-request \(trigger trg_\w+\), replacing gamma:1;/,
    );
  });
});
