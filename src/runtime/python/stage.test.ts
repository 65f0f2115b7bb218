/**
 * stage.ts: an install nobody can read is copied once into a world-readable stage; a readable one
 * is used in place. The end-to-end form (a Python function served from an install under a 0700
 * folder) runs where interpreters drop to nobody, i.e. as root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { otherCanRead, stageForOther } from './stage.js';

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

test('an unreadable install is staged world-readable, once; a readable one is used in place', () => {
  const base = mkdtempSync(join(tmpdir(), 'verge-stage-'));
  const src = install(join(base, 'private'));
  chmodSync(base, 0o700);
  const probes = [join(src.guestDir, 'runner.mjs'), join(src.pyodideDir, 'pyodide.asm.wasm')];
  const cacheParent = mkdtempSync(join(tmpdir(), 'verge-stage-cache-'));
  chmodSync(cacheParent, 0o755);
  const cache = join(cacheParent, 'c');
  const staged = stageForOther(src, probes, cache, 'k1');
  assert.notEqual(staged.guestDir, src.guestDir);
  for (const f of [join(staged.guestDir, 'runner.mjs'), join(staged.pyodideDir, 'pyodide.asm.wasm')]) {
    assert.equal(otherCanRead(f), true, f);
    assert.equal(statSync(f).mode & 0o022, 0, `${f} is not writable by group or others`);
  }
  assert.equal(readFileSync(join(staged.pyodideDir, 'pyodide.asm.wasm'), 'utf8'), 'wasm');
  // Made once per key: a second call reuses it even after the source changed.
  writeFileSync(join(src.pyodideDir, 'pyodide.asm.wasm'), 'changed');
  assert.deepEqual(stageForOther(src, probes, cache, 'k1'), staged);
  assert.equal(readFileSync(join(staged.pyodideDir, 'pyodide.asm.wasm'), 'utf8'), 'wasm');

  const open = mkdtempSync(join(tmpdir(), 'verge-stage-open-'));
  chmodSync(open, 0o755);
  const pub = install(open);
  chmodSync(join(pub.guestDir, 'runner.mjs'), 0o644);
  chmodSync(join(pub.pyodideDir, 'pyodide.asm.wasm'), 0o644);
  const pubProbes = [join(pub.guestDir, 'runner.mjs'), join(pub.pyodideDir, 'pyodide.asm.wasm')];
  assert.equal(stageForOther(pub, pubProbes, cache, 'k2'), pub);

  // A cache folder others cannot reach either: refused, naming the folder and the way out.
  const closed = mkdtempSync(join(tmpdir(), 'verge-stage-closed-'));
  assert.throws(
    () => stageForOther(src, probes, join(closed, 'c'), 'k3'),
    (e: Error) => e.message.includes(closed) && /TMPDIR/.test(e.message),
  );
});
