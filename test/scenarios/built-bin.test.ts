/**
 * The built `verge` (what `npm install` leaves): scripts/build.mjs builds into a scratch tree
 * that mirrors the checkout (bin/ copied, src/, examples/, node_modules/ and package.json linked),
 * and that tree's bin/verge.js runs dist/ without tsx: `verge --help`, `verge invoke` of a
 * function that uses the guest's built-in modules (crypto, querystring, Buffer) from the
 * prebuilt guest, with a TMPDIR that stays empty (no esbuild run, no cache written), and `verge
 * edge` serving through the prebuilt guest. Without dist/ it says to run `npm run build`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePorts } from '../harness/ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the built verge', () => {
  const tree = mkdtempSync(join(tmpdir(), 'verge-built-'));
  const scratchTmp = join(tree, 'tmp');
  const bin = join(tree, 'bin', 'verge.js');
  /** The environment of an installed `verge`: no VERGE_FROM_SOURCE, a TMPDIR we can inspect. */
  const env = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, TMPDIR: scratchTmp };
    delete e.VERGE_FROM_SOURCE;
    return e;
  };
  const verge = (args: string[]) =>
    spawnSync(process.execPath, ['--no-node-snapshot', bin, ...args], {
      cwd: tree,
      env: env(),
      encoding: 'utf8',
      timeout: 60_000,
    });

  before(() => {
    mkdirSync(join(tree, 'bin'));
    copyFileSync(join(ROOT, 'bin', 'verge.js'), bin);
    for (const f of ['src', 'examples', 'node_modules', 'package.json']) symlinkSync(join(ROOT, f), join(tree, f));
    mkdirSync(scratchTmp);
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--out', join(tree, 'dist')], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /the guest runtime and builtins/);
  });
  after(() => rmSync(tree, { recursive: true, force: true }));

  test('dist/ has every module, the prebuilt guest and each builtin; no TypeScript', () => {
    assert.ok(existsSync(join(tree, 'dist', 'cli', 'main.js')));
    assert.ok(existsSync(join(tree, 'dist', 'runtime', 'guest-prebuilt', 'runtime.js')));
    const builtins = readdirSync(join(tree, 'dist', 'runtime', 'guest-prebuilt', 'builtins')).sort();
    for (const m of ['buffer.js', 'crypto.js', 'http.js', 'querystring.js', 'zlib.js'])
      assert.ok(builtins.includes(m), m);
    assert.ok(existsSync(join(tree, 'dist', 'runtime', 'python', 'guest', 'shim.py')), 'assets are copied');
    const ts = spawnSync('find', [join(tree, 'dist'), '-name', '*.ts'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(ts, '');
  });

  test('the built config validator is the prebuilt one (Ajv never loads); TypeBox and undici are one-file copies', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { validateDistribution } = await import('./dist/shared/config/validate.js');
      const r = validateDistribution({ id: 'x', origins: [{ id: 'o', domainName: 'a..b' }], defaultCacheBehavior: { targetOriginId: 'o', cachePolicy: 'CachingDisabledd' } });
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify({ problems: r.problems, ajv: loaded.some((f) => f.includes('/ajv/dist/ajv.js')), typebox: loaded.some((f) => f.includes('/node_modules/typebox/')) }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: tree, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { problems: Array<{ path: string }>; ajv: boolean };
    assert.equal(out.ajv, false, 'Ajv was loaded: the prebuilt validators were not used');
    assert.deepEqual(
      out.problems.map((p) => p.path),
      ['$.origins[0].domainName', '$.defaultCacheBehavior.cachePolicy'],
    );
    const imports = spawnSync('grep', ['-rlE', `from "(typebox|undici)"`, join(tree, 'dist'), '--include=*.js'], {
      encoding: 'utf8',
    });
    assert.equal(imports.stdout.trim(), '', 'every import of typebox and undici goes to its copy in dist/vendor/');
    for (const f of ['typebox.js', 'undici.js']) assert.ok(existsSync(join(tree, 'dist', 'vendor', f)), f);
  });

  test('verge --help', () => {
    const r = verge(['--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^verge: a self-hosted CDN/);
  });

  test('verge invoke runs a function on the prebuilt guest and builtins, writing no cache', () => {
    const fn = join(tree, 'fn.js');
    writeFileSync(
      fn,
      `const crypto = require('crypto');
const qs = require('querystring');
exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const q = qs.parse(request.querystring);
  const digest = crypto.createHash('sha256').update(String(q.name)).digest('hex');
  request.headers['x-digest'] = [{ key: 'X-Digest', value: digest + ':' + Buffer.from('ok').toString('base64') }];
  return request;
};
`,
    );
    const r = verge(['invoke', fn, '--event', 'viewer-request', '--url', '/a?name=verge']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { result: { headers: Record<string, Array<{ value: string }>> } };
    const digest = createHash('sha256').update('verge').digest('hex');
    assert.equal(out.result.headers['x-digest']![0]!.value, `${digest}:b2s=`);
    assert.deepEqual(readdirSync(scratchTmp), [], 'nothing was built or cached at run time');
  });

  test('verge edge serves through the built code', async () => {
    const [port, admin] = await freePorts(2);
    const dir = mkdtempSync(join(tmpdir(), 'verge-built-edge-'));
    const fn = join(dir, 'hello.js');
    writeFileSync(
      fn,
      `exports.handler = async () => ({ status: '200', headers: { 'content-type': [{ key: 'Content-Type', value: 'text/plain' }] }, body: require('util').format('hello %s', 'built') });\n`,
    );
    const config = join(dir, 'dist.json');
    writeFileSync(
      config,
      JSON.stringify({
        id: 'built',
        aliases: ['localhost'],
        origins: [{ id: 'o', domainName: '127.0.0.1', port: 9, protocol: 'http' }],
        defaultCacheBehavior: {
          targetOriginId: 'o',
          cachePolicy: 'CachingDisabled',
          functionAssociations: [{ eventType: 'viewer-request', function: fn }],
        },
      }),
    );
    const child = spawn(
      process.execPath,
      ['--no-node-snapshot', bin, 'edge', '--config', config, '--host', '127.0.0.1', '--port', String(port), '--admin-port', String(admin), '--access-log', 'off'], // prettier-ignore
      { cwd: tree, env: env(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    try {
      const end = Date.now() + 60_000;
      while (!out.includes('viewers')) {
        if (Date.now() > end || child.exitCode !== null) assert.fail(`the edge did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = await request(`http://127.0.0.1:${port}/x`, { headers: { host: 'localhost' } });
      assert.equal(await r.body.text(), 'hello built', out);
      assert.equal(r.statusCode, 200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without dist/: one message saying to run npm run build', () => {
    const bare = mkdtempSync(join(tmpdir(), 'verge-nodist-'));
    mkdirSync(join(bare, 'bin'));
    copyFileSync(join(ROOT, 'bin', 'verge.js'), join(bare, 'bin', 'verge.js'));
    const r = spawnSync(process.execPath, ['--no-node-snapshot', join(bare, 'bin', 'verge.js'), '--help'], {
      env: env(),
      encoding: 'utf8',
    });
    rmSync(bare, { recursive: true, force: true });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the built CLI is missing .*\nRun `npm run build`/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
