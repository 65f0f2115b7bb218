/**
 * @module test/scenarios/contain-cache-scan
 * Issue 9, files on disk: the disk cache's start-up scan deletes what it cannot serve, but only
 * regular files it could have written, inside the cache folder. Symlinks planted there, to a
 * folder full of someone's files or to a single file, are neither followed nor deleted, and the
 * files they point at survive a restart; the edge serves its cached objects as before and logs
 * what it left alone.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nullRuntime } from '../../src/runtime/host/index.js';
import { startOrigin } from '../harness/origin.js';
import { distribution, startTestEdge, type TestEdge } from '../harness/edge.js';

const dir = mkdtempSync(join(tmpdir(), 'verge-cache-scan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('symlinks planted in the cache folder are not followed; what they point at survives a restart', async () => {
  const origin = await startOrigin({
    '*': (r) => ({ headers: { 'cache-control': 'max-age=600' }, body: `object ${r.path}` }),
  });
  const dataDir = join(dir, 'pop');
  const start = () => startTestEdge({ configs: [distribution(origin.port)], runtime: nullRuntime, dataDir });
  let te: TestEdge | undefined;
  try {
    te = await start();
    // Objects are written to the disk tier too; after the restart only the disk tier has them.
    for (const p of ['/a', '/b']) assert.equal((await te.get(p)).status, 200);
    await te.close();
    te = undefined;

    // A scratch folder of someone's files, and links to it from inside the cache folder: as a
    // two-character subfolder, as a meta-like and a body-like name inside a real subfolder.
    const scratch = join(dir, 'scratch');
    mkdirSync(scratch);
    const victims = ['notes.txt', 'abcdef0123456789.meta', 'abcdef0123456789.body', 'x.tmp'];
    for (const v of victims) writeFileSync(join(scratch, v), `precious ${v}`);
    const cache = join(dataDir, 'cache');
    const real = readdirSync(cache).find((n) => n.length === 2 && lstatSync(join(cache, n)).isDirectory())!;
    assert.ok(real, 'the edge wrote a cache subfolder');
    symlinkSync(scratch, join(cache, 'zz'));
    symlinkSync(join(scratch, 'notes.txt'), join(cache, real, 'planted.tmp'));
    symlinkSync(join(scratch, 'abcdef0123456789.meta'), join(cache, real, 'abcdef0123456789.meta'));
    symlinkSync(scratch, join(cache, real, 'zz'));
    // A regular stray file the edge did not write is still cleaned (it is inside the cache folder).
    writeFileSync(join(cache, real, 'stray.tmp'), 'interrupted write');

    te = await start();
    for (const v of victims) assert.equal(readFileSync(join(scratch, v), 'utf8'), `precious ${v}`, v);
    assert.ok(lstatSync(join(cache, 'zz')).isSymbolicLink(), 'the link itself is left alone');
    assert.equal(existsSync(join(cache, real, 'stray.tmp')), false);
    // The PoP serves its cached objects as before, from disk.
    for (const p of ['/a', '/b']) {
      const r = await te.get(p);
      assert.equal(r.status, 200);
      assert.equal(r.header('x-cache'), 'Hit from verge', p);
      assert.equal(r.text, `object ${p}`);
    }
    assert.equal(origin.count('/a'), 1);
    const warned = te.logs.lines.filter((l) => l.msg === 'cache scan left an entry it did not make alone');
    assert.ok(
      warned.some((l) => String(l.path).endsWith(join('cache', 'zz'))),
      JSON.stringify(warned),
    );
  } finally {
    await te?.close();
    await origin.close();
  }
});
