/**
 * @module runtime/python/stage
 * Makes the files an interpreter process reads (guest/ and the pyodide package) readable by the
 * uid it runs as. Interpreters drop to nobody (65534) when Verge runs as root; an install under a
 * private folder (`/root/verge`, a `mktemp -d` checkout: mode 0700) is then unreadable to them and
 * every Python function failed with "Cannot find module .../runner.mjs". In that case the two
 * folders are copied once, owned by root, readable but not writable by the interpreter's group,
 * into the user's private staging folder (shared/private-dir.ts: `$TMPDIR/verge-<uid>/pyodide`,
 * checked before every use, so nothing another user planted there is ever run), and the
 * interpreter is pointed there. An install that nobody can already read is used in place.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { VergeError } from '../../shared/errors.js';

export interface GuestPaths {
  guestDir: string;
  pyodideDir: string;
}

/** A uid and gid that do not own the files (the interpreter's, 65534 when Verge runs as root). */
export interface Reader {
  uid: number;
  gid: number;
}

/** The permission bits of `mode` (shifted to rwx = 4/2/1) that apply to `who`. */
function bitsFor(st: { mode: number; uid: number; gid: number }, who: Reader): number {
  if (st.uid === who.uid) return (st.mode >> 6) & 7;
  if (st.gid === who.gid) return (st.mode >> 3) & 7;
  return st.mode & 7;
}

/** Whether `who` can reach (every folder on the way) and read `path`. */
export function canRead(path: string, who: Reader): boolean {
  const { root } = parse(path);
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((bitsFor(statSync(dir), who) & 1) === 0) return false;
    if (dir === root) break;
  }
  return (bitsFor(statSync(path), who) & 4) !== 0;
}

function chmodTree(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) chmodTree(join(path, name));
  } else chmodSync(path, 0o644);
}

/**
 * The folders to hand the interpreter: `src` itself when `who` can read every file we need, else
 * a staged copy under `cacheDir/stage-<key>` (made once per key, atomically). `cacheDir` must be
 * a folder only we can write (the caller checks it: private-dir.ts), so a `stage-<key>` found
 * there is one we made.
 */
export function stageForOther(
  src: GuestPaths,
  probes: string[],
  cacheDir: string,
  key: string,
  who: Reader,
): GuestPaths {
  if (probes.every((p) => canRead(p, who))) return src;
  const dest = join(cacheDir, `stage-${key}`);
  const staged = { guestDir: join(dest, 'guest') + '/', pyodideDir: join(dest, 'pyodide') };
  if (existsSync(join(dest, 'ready'))) return staged;
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
  if (!canRead(join(staged.guestDir, 'runner.mjs'), who))
    throw new VergeError(
      'FUNCTION_LOAD_ERROR',
      `Python interpreters run as uid ${who.uid} and cannot read ${src.guestDir} nor the staged copy in ${dest}: ` +
        'install Verge in a folder other users can enter, or point TMPDIR at one',
    );
  return staged;
}

/** Staged copies and snapshots not used for this long are removed (each use refreshes the time). */
export const PRUNE_AFTER_MS = 3 * 24 * 3600 * 1000;

/**
 * Remove what older installs left in the staging folder: memory snapshots (`<key>.snap`, tens of
 * MB each, one per Pyodide, runner or Node version), their restore verdicts, staged copies and
 * half-written `.tmp` files (after an hour), once unused for `maxAgeMs`. Entries named in `keep` stay. Another
 * Verge of the same user still using an older entry touches it on each use, so it is not taken
 * from under it. Never follows links (rmSync removes a link, not its target). Returns the names
 * removed.
 */
export function pruneStaging(
  dir: string,
  keep: ReadonlySet<string>,
  nowMs: number,
  maxAgeMs = PRUNE_AFTER_MS,
): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (keep.has(name) || !/^(stage-.*|.*\.snap(\.restore)?|.*\.tmp)$/.test(name)) continue;
    const path = join(dir, name);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    // A half-written copy older than an hour was abandoned (a snapshot is written in seconds).
    const limit = name.endsWith('.tmp') ? Math.min(maxAgeMs, 3600_000) : maxAgeMs;
    if (nowMs - st.mtimeMs < limit) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
