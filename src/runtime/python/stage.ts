/**
 * @module runtime/python/stage
 * Makes the files an interpreter process reads (guest/ and the pyodide package) readable by the
 * uid it runs as. Interpreters drop to nobody (65534) when Verge runs as root; an install under a
 * private folder (`/root/verge`, a `mktemp -d` checkout: mode 0700) is then unreadable to them and
 * every Python function failed with "Cannot find module .../runner.mjs". In that case the two
 * folders are copied once, owned by root and world-readable but not writable, into the snapshot
 * cache folder, and the interpreter is pointed there. An install that nobody can already read is
 * used in place.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { VergeError } from '../../shared/errors.js';

export interface GuestPaths {
  guestDir: string;
  pyodideDir: string;
}

/** Whether "other" (a uid that neither owns it nor is in its group) can reach and read `path`. */
export function otherCanRead(path: string): boolean {
  const { root } = parse(path);
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === root) break;
  }
  return (statSync(path).mode & 0o004) !== 0;
}

function chmodTree(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) chmodTree(join(path, name));
  } else chmodSync(path, 0o644);
}

/**
 * The folders to hand the interpreter: `src` itself when another uid can read every file we need,
 * else a staged copy under `cacheDir/stage-<key>` (made once per key, atomically).
 */
export function stageForOther(src: GuestPaths, probes: string[], cacheDir: string, key: string): GuestPaths {
  if (probes.every(otherCanRead)) return src;
  const dest = join(cacheDir, `stage-${key}`);
  const staged = { guestDir: join(dest, 'guest') + '/', pyodideDir: join(dest, 'pyodide') };
  if (existsSync(join(dest, 'ready'))) return staged;
  mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  chmodSync(cacheDir, 0o755);
  const tmp = `${dest}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  cpSync(src.guestDir, join(tmp, 'guest'), { recursive: true });
  cpSync(src.pyodideDir, join(tmp, 'pyodide'), { recursive: true, dereference: true });
  mkdirSync(join(tmp, 'ready'));
  chmodTree(tmp);
  try {
    renameSync(tmp, dest);
  } catch {
    // Another process staged the same key first: use theirs.
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!otherCanRead(join(staged.guestDir, 'runner.mjs')))
    throw new VergeError(
      'FUNCTION_LOAD_ERROR',
      `Python interpreters run as uid 65534 and cannot read ${src.guestDir} nor the staged copy in ${dest}: ` +
        'install Verge in a folder other users can enter, or point TMPDIR at one',
    );
  return staged;
}
