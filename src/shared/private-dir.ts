/**
 * @module shared/private-dir
 * Folders Verge keeps under the shared temporary directory for its sandboxes (the Python stage and
 * memory snapshots): one per running user, `$TMPDIR/verge-<uid>`, mode 0700 (0750 with the
 * sandbox's group when interpreters run as another uid and must read it), and verified before
 * every use. `$TMPDIR` is shared by every local user, so a name there may already exist, made by
 * someone else: a folder planted by another uid, a symbolic link, a file, or a folder other users
 * can write into is refused with UNSAFE_STAGING_DIR, never used or "repaired" (its content could
 * already be theirs). A folder that is ours and that nobody else could write into is brought to
 * the exact mode wanted.
 */
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VergeError } from './errors.js';

export interface PrivateDirOptions {
  /**
   * A group that may enter and read the folder (mode 0750): the gid sandboxed processes run
   * with when they drop to another uid. Without it the folder is 0700.
   */
  readGid?: number;
  /** The owner expected; the running process's uid by default (tests pass another). */
  uid?: number;
}

function currentUid(): number {
  return process.getuid?.() ?? 0;
}

/** `$TMPDIR/verge-<uid>`: the running user's own folder for sandbox staging (not yet checked). */
export function userTmpDir(base: string = tmpdir(), uid: number = currentUid()): string {
  return join(base, `verge-${uid}`);
}

function unsafe(path: string, why: string): VergeError {
  return new VergeError(
    'UNSAFE_STAGING_DIR',
    `${path} ${why}; Verge will not use it. Remove it (as its owner or root), or point TMPDIR at a folder only this user can write`,
    { details: { path } },
  );
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/**
 * Create `path` (its parent must exist; nothing above it is created) or take the existing one,
 * then check it through a descriptor opened without following links: a folder, owned by us, not
 * writable by anyone else. Returns `path`, now at mode 0700 (or 0750 with `readGid`).
 */
export function ensurePrivateDir(path: string, o: PrivateDirOptions = {}): string {
  const uid = o.uid ?? currentUid();
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const l = lstatSync(path);
  if (l.isSymbolicLink()) throw unsafe(path, 'is a symbolic link');
  if (!l.isDirectory()) throw unsafe(path, 'is not a folder');
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (e) {
    // Swapped for a link or a file between the lstat and the open.
    throw unsafe(path, `cannot be opened as a folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isDirectory()) throw unsafe(path, 'is not a folder');
    if (st.uid !== uid) throw unsafe(path, `is owned by uid ${st.uid}, not by uid ${uid} (the user Verge runs as)`);
    if ((st.mode & 0o022) !== 0) throw unsafe(path, `is writable by other users (mode ${octal(st.mode)})`);
    const mode = o.readGid === undefined ? 0o700 : 0o750;
    if (o.readGid !== undefined && st.gid !== o.readGid) fchownSync(fd, uid, o.readGid);
    if ((st.mode & 0o7777) !== mode) fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** The user's folder under `base` (`$TMPDIR`), then `sub` inside it, both checked (ensurePrivateDir). */
export function userStagingDir(sub: string, o: PrivateDirOptions & { base?: string } = {}): string {
  const top = ensurePrivateDir(userTmpDir(o.base, o.uid ?? currentUid()), o);
  return ensurePrivateDir(join(top, sub), o);
}
