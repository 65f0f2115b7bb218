/**
 * private-dir.ts, tried as another local user would: a folder, a link or a file planted under the
 * name Verge uses in the shared $TMPDIR is refused with UNSAFE_STAGING_DIR and left untouched;
 * Verge's own folder ends at 0700 (0750 with the sandbox group) and is checked on every call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs } from '../../test/harness/needs.js';
import { ensurePrivateDir, userStagingDir, userTmpDir } from './private-dir.js';
import { VergeError } from './errors.js';

const OTHER = 65534;
const asRoot = needs(process.getuid?.() === 0 ? false : 'root (planting a folder owned by another uid needs chown)');
const uid = process.getuid?.() ?? 0;

function refused(path: string, why: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof VergeError, String(e));
    assert.equal(e.code, 'UNSAFE_STAGING_DIR');
    assert.ok(e.message.includes(path), `names the path: ${e.message}`);
    assert.match(e.message, why);
    return true;
  };
}

test("the user's folder is made 0700, per uid, and a subfolder inside it too", () => {
  const base = mkdtempSync(join(tmpdir(), 'verge-pd-'));
  const dir = userStagingDir('pyodide', { base });
  assert.equal(dir, join(base, `verge-${uid}`, 'pyodide'));
  assert.equal(userTmpDir(base), join(base, `verge-${uid}`));
  for (const p of [join(base, `verge-${uid}`), dir]) {
    const st = lstatSync(p);
    assert.equal(st.mode & 0o7777, 0o700, p);
    assert.equal(st.uid, uid);
  }
  // Ours and not writable by others, but too open to read: tightened, not refused.
  chmodSync(dir, 0o755);
  userStagingDir('pyodide', { base });
  assert.equal(lstatSync(dir).mode & 0o7777, 0o700);
});

test('a folder, a link or a file planted by another user is refused and left as it was', { skip: asRoot }, () => {
  const base = mkdtempSync(join(tmpdir(), 'verge-pd-'));
  chmodSync(base, 0o1777); // like /tmp
  const mine = userTmpDir(base);

  // Another uid made the folder first (mode 0777, with a runner in it).
  mkdirSync(join(mine, 'pyodide'), { recursive: true });
  writeFileSync(join(mine, 'pyodide', 'runner.mjs'), 'planted');
  chownSync(mine, OTHER, OTHER);
  chmodSync(mine, 0o777);
  assert.throws(() => userStagingDir('pyodide', { base }), refused(mine, /owned by uid 65534, not by uid 0/));
  // Even at a tidy mode 0700: still not ours.
  chmodSync(mine, 0o700);
  assert.throws(() => ensurePrivateDir(mine), refused(mine, /owned by uid 65534/));
  assert.equal(lstatSync(mine).uid, OTHER, 'left as it was');
  assert.equal(readFileSync(join(mine, 'pyodide', 'runner.mjs'), 'utf8'), 'planted');

  // A link to a folder the attacker controls, or to one of ours.
  const b2 = mkdtempSync(join(tmpdir(), 'verge-pd-'));
  const theirs = mkdtempSync(join(tmpdir(), 'verge-pd-theirs-'));
  chownSync(theirs, OTHER, OTHER);
  symlinkSync(theirs, userTmpDir(b2));
  assert.throws(() => userStagingDir('pyodide', { base: b2 }), refused(userTmpDir(b2), /symbolic link/));
  const b3 = mkdtempSync(join(tmpdir(), 'verge-pd-'));
  const ours = mkdtempSync(join(tmpdir(), 'verge-pd-ours-'));
  symlinkSync(ours, userTmpDir(b3));
  assert.throws(() => userStagingDir('pyodide', { base: b3 }), refused(userTmpDir(b3), /symbolic link/));

  // A file in its place.
  const b4 = mkdtempSync(join(tmpdir(), 'verge-pd-'));
  writeFileSync(userTmpDir(b4), 'x');
  chownSync(userTmpDir(b4), OTHER, OTHER);
  assert.throws(() => userStagingDir('pyodide', { base: b4 }), refused(userTmpDir(b4), /not a folder/));

  // Ours, but others could write into it (so its content may be theirs): refused, not repaired.
  const b5 = mkdtempSync(join(tmpdir(), 'verge-pd-'));
  mkdirSync(userTmpDir(b5), { mode: 0o700 });
  chmodSync(userTmpDir(b5), 0o777);
  assert.throws(
    () => userStagingDir('pyodide', { base: b5 }),
    refused(userTmpDir(b5), /writable by other users \(mode 0777\)/),
  );

  // The subfolder is checked too: planted inside a folder of ours that was briefly open.
  const b6 = mkdtempSync(join(tmpdir(), 'verge-pd-'));
  mkdirSync(join(userTmpDir(b6), 'pyodide'), { recursive: true, mode: 0o700 });
  chownSync(join(userTmpDir(b6), 'pyodide'), OTHER, OTHER);
  assert.throws(
    () => userStagingDir('pyodide', { base: b6 }),
    refused(join(userTmpDir(b6), 'pyodide'), /owned by uid 65534/),
  );
});

test('with a reader group the folder is 0750 and owned by that group', { skip: asRoot }, () => {
  const base = mkdtempSync(join(tmpdir(), 'verge-pd-'));
  const dir = userStagingDir('pyodide', { base, readGid: OTHER });
  for (const p of [userTmpDir(base), dir]) {
    const st = lstatSync(p);
    assert.equal(st.mode & 0o7777, 0o750, p);
    assert.equal(st.gid, OTHER);
    assert.equal(st.uid, uid);
  }
});
