/**
 * @module edge/server/admin-token
 * The admin listener's own bearer token (issue 9): a PoP's admin port can empty the cache of
 * every distribution and read its config and metrics, so loopback is not enough (anything on the
 * machine, or a function that got past the egress policy, could call it). The token lives in a
 * file only its owner can read (`<data-dir>/admin-token`, mode 0600), created on first start
 * and checked before each start: a symlink, another owner or a group/world-readable mode is
 * refused with a message naming the file, never silently used or rewritten.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, lstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { VergeError } from '../../shared/errors.js';

/** The file name under a PoP's data dir. */
export const EDGE_ADMIN_TOKEN_FILE = 'admin-token';

/** A fresh token: `vea_` (Verge edge admin) and 32 random bytes, base64url. */
export function newAdminToken(): string {
  return `vea_${randomBytes(32).toString('base64url')}`;
}

/** Read the token from `file`, creating it (mode 0600, its folder 0700) when there is none. */
export function loadOrCreateAdminToken(file: string): string {
  const existing = readChecked(file);
  if (existing !== null) return existing;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const token = newAdminToken();
  let fd: number;
  try {
    // O_EXCL and O_NOFOLLOW: never write through a planted symlink or over someone else's file.
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    // Another process started at the same moment and created it first: use that one.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readChecked(file) ?? fail(file, 'vanished');
    throw new VergeError('CONFIG_UNREADABLE', `cannot create the admin token file ${file}: ${(e as Error).message}`);
  }
  try {
    writeSync(fd, token + '\n');
  } finally {
    closeSync(fd);
  }
  return token;
}

function readChecked(file: string): string | null {
  let st;
  try {
    st = lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new VergeError('CONFIG_UNREADABLE', `cannot read the admin token file ${file}: ${(e as Error).message}`);
  }
  if (!st.isFile()) return fail(file, 'is not a regular file (a symlink or folder is refused)');
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return fail(file, `is owned by uid ${st.uid}, not by this user (${uid})`);
  if ((st.mode & 0o077) !== 0)
    return fail(file, `has mode ${(st.mode & 0o777).toString(8)}; other users could read it (chmod 600 it)`);
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 16) return fail(file, 'holds no token (fewer than 16 characters); remove it to make a new one');
  return token;
}

function fail(file: string, why: string): never {
  throw new VergeError('CONFIG_UNREADABLE', `the admin token file ${file} ${why}`);
}

/** Does the `Authorization` header carry `Bearer <token>`? Constant-time in the token's content. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  const a = createHash('sha256').update(m[1]!).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
