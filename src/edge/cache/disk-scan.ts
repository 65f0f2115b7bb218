/**
 * @module edge/cache/disk-scan
 * Rebuilding the disk tier's index when it opens: read each meta file's header, check its body
 * (inline length, or the body file's size), and remove what cannot be served: interrupted writes
 * (`.tmp` files, body files no meta file names), damaged or foreign files. Recency comes back
 * from the meta files' mtimes.
 *
 * Only what the edge itself writes is touched: regular files in two-character folders. A
 * symlink (to a folder or a file) or anything else is never followed, opened or deleted, only
 * reported (issue 9: a symlink planted in the cache folder once had every file it pointed at
 * deleted on restart), so the scan cannot delete anything outside the cache folder.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BODY_NAME, META_NAME, PREFIX_BYTES, fileNameFor, headerLength, parseHeader } from './disk-format.js';

export interface ScannedRecord {
  key: string;
  distributionId: string;
  invalidationPath: string;
  tags: readonly string[];
  size: number;
  storedAt: number;
  meta: string;
  bodyFile: string | null;
  mtime: number;
}

/** Called for each entry the scan leaves alone because the edge did not make it (a symlink...). */
export type SkipReport = (path: string, why: string) => void;

/** Every servable entry under `dir`, oldest first; every other regular file there is deleted. */
/**
 * `sweep: false` deletes nothing: the disk tier is shared with live processes (`verge edge
 * --workers N`), whose writes in progress look like interrupted ones.
 */
export async function scanCacheDir(
  dir: string,
  onSkip: SkipReport = () => {},
  { sweep = true }: { sweep?: boolean } = {},
): Promise<ScannedRecord[]> {
  const found: ScannedRecord[] = [];
  for (const sub of await readdir(dir, { withFileTypes: true })) {
    if (sub.name.length !== 2) continue;
    const folder = join(dir, sub.name);
    if (!sub.isDirectory()) {
      onSkip(folder, sub.isSymbolicLink() ? 'a symlink (not followed)' : 'not a folder');
      continue;
    }
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      continue;
    }
    const referenced = new Set<string>();
    const bodies: string[] = [];
    for (const entry of entries) {
      const name = entry.name;
      const file = join(folder, name);
      if (!entry.isFile()) {
        onSkip(file, entry.isSymbolicLink() ? 'a symlink (not followed)' : 'not a regular file');
        continue;
      }
      if (BODY_NAME.test(name)) {
        bodies.push(name);
        continue;
      }
      const rec = META_NAME.test(name) ? await readRecord(file, name) : undefined;
      if (rec === undefined) {
        if (sweep) await rm(file, { force: true }).catch(() => {});
        continue;
      }
      if (rec.bodyFile !== null) referenced.add(rec.bodyFile.slice(folder.length + 1));
      found.push(rec);
    }
    // A body file no meta file names: a write interrupted before its commit, or an old version.
    if (sweep)
      for (const b of bodies) if (!referenced.has(b)) await rm(join(folder, b), { force: true }).catch(() => {});
  }
  return found.sort((a, b) => a.mtime - b.mtime);
}

/**
 * A body file whose writer died (a worker killed mid-body, `verge edge --workers N`): removed
 * unless its meta file names it (the write was committed before the writer died). Anything not
 * named like a body file is left alone. Resolves true when it removed the file.
 */
export async function removeInterruptedBody(path: string): Promise<boolean> {
  const name = basename(path);
  if (!BODY_NAME.test(name)) return false;
  const metaName = name.slice(0, name.indexOf('.'));
  const rec = await readRecord(join(dirname(path), metaName), metaName);
  if (rec?.bodyFile === path) return false;
  return rm(path).then(
    () => true,
    () => false,
  );
}

/** One meta file's record, when it and its body are whole; undefined otherwise. */
export async function readRecord(file: string, name: string): Promise<ScannedRecord | undefined> {
  // O_NOFOLLOW: a meta file swapped for a symlink since the folder was listed is not read.
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
  if (fh === undefined) return undefined;
  try {
    const st = await fh.stat();
    const prefix = Buffer.alloc(PREFIX_BYTES);
    await fh.read(prefix, 0, PREFIX_BYTES, 0);
    const hlen = headerLength(prefix);
    if (hlen === undefined) return undefined;
    const json = Buffer.alloc(hlen);
    const { bytesRead } = await fh.read(json, 0, hlen, PREFIX_BYTES);
    const h = bytesRead === hlen ? parseHeader(json) : undefined;
    if (h === undefined || fileNameFor(h.key).name !== name) return undefined;
    let bodyFile: string | null = null;
    if (h.bodyFile === null) {
      if (st.size !== PREFIX_BYTES + hlen + h.bodyLength) return undefined;
    } else {
      if (st.size !== PREFIX_BYTES + hlen || !h.bodyFile.startsWith(name)) return undefined;
      bodyFile = join(file, '..', h.bodyFile);
      const bs = await lstat(bodyFile).catch(() => undefined);
      if (bs === undefined || !bs.isFile() || bs.size !== h.bodyLength) return undefined;
    }
    return {
      key: h.key,
      distributionId: h.distributionId,
      invalidationPath: h.invalidationPath,
      tags: h.tags,
      size: typeof h.size === 'number' ? h.size : st.size,
      storedAt: h.storedAt,
      meta: file,
      bodyFile,
      mtime: st.mtimeMs,
    };
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}
