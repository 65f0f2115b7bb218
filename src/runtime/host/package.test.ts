/**
 * @module runtime/host/package.test
 * Package loading rules: handler strings (spec 2.1), the module resolution order, zip entries
 * that escape the root, and the compressed size check naming the largest files (spec 4.1).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { buildLambdaPackage, parseHandler, safeEntryName } from './package.js';
import { resolveLimits } from './limits.js';
import type { FunctionSource } from '../../shared/lambda-edge/index.js';

const src = (files: Record<string, string | Uint8Array>, handler = 'index.handler'): FunctionSource => ({
  id: 'p',
  name: 'p',
  version: '1',
  runtime: 'nodejs',
  handler,
  code: { files },
});

describe('handler strings (spec 2.1)', () => {
  test('file.export, folders and nested export paths', () => {
    assert.deepEqual(parseHandler('index.handler'), { module: 'index', exportPath: 'handler' });
    assert.deepEqual(parseHandler('src/app.handler'), { module: 'src/app', exportPath: 'handler' });
    assert.deepEqual(parseHandler('index.a.b'), { module: 'index', exportPath: 'a.b' });
    assert.deepEqual(parseHandler('v1.2/app.handler'), { module: 'v1.2/app', exportPath: 'handler' });
  });
  test('malformed handlers and .. are rejected', () => {
    assert.throws(() => parseHandler('../index.handler'), /'\.\.' is not allowed/);
    assert.throws(() => parseHandler('index'), /not of the form file\.export/);
    assert.throws(() => parseHandler('index.'), /not of the form file\.export/);
    assert.throws(() => parseHandler('/abs/index.handler'), /not of the form file\.export/);
  });
});

describe('module resolution order', () => {
  test('extension-less file before .js, .js before .mjs, then .cjs', async () => {
    const pick = async (files: Record<string, string>) => (await buildLambdaPackage(src(files), 1 << 20)).filename;
    const f = (tag: string) => `exports.handler = () => '${tag}';`;
    assert.equal(await pick({ index: f('bare'), 'index.js': f('js') }), '/var/task/index');
    assert.equal(await pick({ 'index.js': f('js'), 'index.mjs': 'export const handler = 1;' }), '/var/task/index.js');
    assert.equal(
      await pick({ 'index.mjs': 'export const handler = 1;', 'index.cjs': f('cjs') }),
      '/var/task/index.mjs',
    );
    assert.equal(await pick({ 'index.cjs': f('cjs') }), '/var/task/index.cjs');
    await assert.rejects(pick({ 'other.js': f('x') }), /Cannot find module 'index'/);
  });
});

describe('zip entries', () => {
  test('names escaping the root are rejected', () => {
    assert.equal(safeEntryName('a/./b/../c.js'), 'a/c.js');
    for (const bad of ['../x.js', 'a/../../x.js', '/etc/passwd', 'C:/x.js', '..\\x.js'])
      assert.throws(() => safeEntryName(bad), /escapes the package root/);
  });
  test('a zip with an escaping entry fails to load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'verge-pkg-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'evil.zip');
    await writeFile(path, zipSync({ 'index.js': strToU8('exports.handler=()=>1'), '../../evil.js': strToU8('x') }));
    await assert.rejects(
      buildLambdaPackage({ ...src({}), code: { path } }, 1 << 20),
      /escapes the package root: \.\.\/\.\.\/evil\.js/,
    );
  });
});

describe('compressed size (spec 4.1)', () => {
  test('the smallest limit of the attached events applies, and the message names the largest files', async () => {
    const limits = resolveLimits({}, ['origin-request', 'viewer-request']);
    assert.equal(limits.packageBytes, 1024 * 1024);
    assert.equal(resolveLimits({}, ['origin-request']).packageBytes, 50 * 1024 * 1024);
    const files = {
      'index.js': 'exports.handler = async () => ({});',
      'node_modules/big/blob.bin': randomBytes(900 * 1024),
      'node_modules/big/other.bin': randomBytes(300 * 1024),
    };
    await assert.rejects(buildLambdaPackage(src(files), limits.packageBytes), (e: Error) => {
      assert.match(
        e.message,
        /^The function code size is larger than the maximum allowed size for functions that are triggered by a CloudFront event: \d+ Max allowed: 1048576\. Largest files: node_modules\/big\/blob\.bin \(900 KB\), node_modules\/big\/other\.bin \(300 KB\), index\.js \(1 KB\)$/,
      );
      return true;
    });
    const okPkg = await buildLambdaPackage(src(files), 50 * 1024 * 1024);
    assert.ok(okPkg.packageBytes > 1024 * 1024 && okPkg.packageBytes < 1300 * 1024, String(okPkg.packageBytes));
  });
});
