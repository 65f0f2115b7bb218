/**
 * stage.ts: an install nobody can read is copied once into a world-readable stage; a readable one
 * is used in place. The end-to-end form (a Python function served from an install under a 0700
 * folder) runs where interpreters drop to nobody, i.e. as root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs } from '../../../test/harness/needs.js';
import { ensurePrivateDir } from '../../shared/private-dir.js';
import { canRead, pruneStaging, stageForOther } from './stage.js';

const NOBODY = { uid: 65534, gid: 65534 };
const otherCanRead = (p: string) => canRead(p, NOBODY);
const asRoot = needs(process.getuid?.() === 0 ? false : 'root (the staging folder is given to the group of uid 65534)');

function install(root: string): { guestDir: string; pyodideDir: string } {
  mkdirSync(join(root, 'guest'), { recursive: true });
  mkdirSync(join(root, 'pyodide'), { recursive: true });
  writeFileSync(join(root, 'guest', 'runner.mjs'), 'export {}\n', { mode: 0o600 });
  writeFileSync(join(root, 'pyodide', 'pyodide.asm.wasm'), 'wasm', { mode: 0o600 });
  return { guestDir: join(root, 'guest') + '/', pyodideDir: join(root, 'pyodide') };
}

test('otherCanRead follows every folder on the way, then the file', () => {
  const base = mkdtempSync(join(tmpdir(), 'verge-stage-'));
  chmodSync(base, 0o755);
  const f = join(base, 'a', 'f.txt');
  mkdirSync(join(base, 'a'), { mode: 0o755 });
  writeFileSync(f, 'x', { mode: 0o644 });
  assert.equal(otherCanRead(f), true);
  chmodSync(f, 0o600);
  assert.equal(otherCanRead(f), false, 'file not readable by others');
  chmodSync(f, 0o644);
  chmodSync(join(base, 'a'), 0o700);
  assert.equal(otherCanRead(f), false, 'a folder on the way cannot be entered');
});

test(
  'an unreadable install is staged readable by the interpreter group, once; a readable one is used in place',
  { skip: asRoot },
  () => {
    const base = mkdtempSync(join(tmpdir(), 'verge-stage-'));
    const src = install(join(base, 'private'));
    chmodSync(base, 0o700);
    const probes = [join(src.guestDir, 'runner.mjs'), join(src.pyodideDir, 'pyodide.asm.wasm')];
    const cacheParent = mkdtempSync(join(tmpdir(), 'verge-stage-cache-'));
    chmodSync(cacheParent, 0o755);
    const cache = ensurePrivateDir(join(cacheParent, 'c'), { readGid: NOBODY.gid });
    const staged = stageForOther(src, probes, cache, 'k1', NOBODY);
    assert.notEqual(staged.guestDir, src.guestDir);
    for (const f of [join(staged.guestDir, 'runner.mjs'), join(staged.pyodideDir, 'pyodide.asm.wasm')]) {
      assert.equal(otherCanRead(f), true, f);
      assert.equal(canRead(f, { uid: 1234, gid: 1234 }), false, `${f} is not readable by any other user`);
      assert.equal(statSync(f).mode & 0o022, 0, `${f} is not writable by group or others`);
    }
    assert.equal(readFileSync(join(staged.pyodideDir, 'pyodide.asm.wasm'), 'utf8'), 'wasm');
    // Made once per key: a second call reuses it even after the source changed.
    writeFileSync(join(src.pyodideDir, 'pyodide.asm.wasm'), 'changed');
    assert.deepEqual(stageForOther(src, probes, cache, 'k1', NOBODY), staged);
    assert.equal(readFileSync(join(staged.pyodideDir, 'pyodide.asm.wasm'), 'utf8'), 'wasm');

    const open = mkdtempSync(join(tmpdir(), 'verge-stage-open-'));
    chmodSync(open, 0o755);
    const pub = install(open);
    chmodSync(join(pub.guestDir, 'runner.mjs'), 0o644);
    chmodSync(join(pub.pyodideDir, 'pyodide.asm.wasm'), 0o644);
    const pubProbes = [join(pub.guestDir, 'runner.mjs'), join(pub.pyodideDir, 'pyodide.asm.wasm')];
    assert.equal(stageForOther(pub, pubProbes, cache, 'k2', NOBODY), pub);

    // A cache folder others cannot reach either: refused, naming the folder and the way out.
    const closed = mkdtempSync(join(tmpdir(), 'verge-stage-closed-'));
    assert.throws(
      () => stageForOther(src, probes, ensurePrivateDir(join(closed, 'c')), 'k3', NOBODY),
      (e: Error) => e.message.includes(closed) && /TMPDIR/.test(e.message),
    );
  },
);

test('pruning removes old snapshots, stages and leftovers, keeps what is named and what is recent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-prune-'));
  const now = Date.now();
  const day = 24 * 3600 * 1000;
  const entry = (name: string, ageDays: number, folder = false) => {
    const p = join(dir, name);
    if (folder) mkdirSync(join(p, 'guest'), { recursive: true });
    else writeFileSync(p, 'x');
    const t = new Date(now - ageDays * day);
    utimesSync(p, t, t);
  };
  entry('old.snap', 10);
  entry('old.snap.restore', 10);
  entry('stage-old', 10, true);
  entry('x.snap.123.tmp', 1);
  entry('cur.snap', 10);
  entry('cur.snap.restore', 10);
  entry('recent.snap', 0.5);
  entry('stage-recent', 0.5, true);
  entry('notes.txt', 10);
  const target = mkdtempSync(join(tmpdir(), 'verge-prune-target-'));
  writeFileSync(join(target, 'precious'), 'keep me');
  symlinkSync(target, join(dir, 'stage-link'));
  const t = new Date(now - 10 * day);
  lutimesSync(join(dir, 'stage-link'), t, t);
  const removed = pruneStaging(dir, new Set(['cur.snap', 'cur.snap.restore']), now, 3 * day);
  assert.deepEqual(removed.sort(), ['old.snap', 'old.snap.restore', 'stage-link', 'stage-old', 'x.snap.123.tmp']);
  assert.deepEqual(readdirSync(dir).sort(), [
    'cur.snap',
    'cur.snap.restore',
    'notes.txt',
    'recent.snap',
    'stage-recent',
  ]);
  assert.equal(readFileSync(join(target, 'precious'), 'utf8'), 'keep me', 'a link is removed, never followed');
});
