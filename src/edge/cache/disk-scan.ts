/**
 * @module edge/cache/disk-scan
 * Rebuilding the disk tier's index when it opens: read each meta file's header, check its body
 * (inline length, or the body file's size), and remove what cannot be served: interrupted writes
 * (`.tmp` files, body files no meta file names), damaged or foreign files. Recency comes back
 * from the meta files' mtimes.
 */
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Every servable entry under `dir`, oldest first; everything else there is deleted. */
export async function scanCacheDir(dir: string): Promise<ScannedRecord[]> {
  const found: ScannedRecord[] = [];
  for (const sub of await readdir(dir)) {
    if (sub.length !== 2) continue;
    const folder = join(dir, sub);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch {
      continue;
    }
    const referenced = new Set<string>();
    const bodies: string[] = [];
    for (const name of names) {
      const file = join(folder, name);
      if (BODY_NAME.test(name)) {
        bodies.push(name);
        continue;
      }
      const rec = META_NAME.test(name) ? await readRecord(file, name) : undefined;
      if (rec === undefined) {
        await rm(file, { force: true }).catch(() => {});
        continue;
      }
      if (rec.bodyFile !== null) referenced.add(rec.bodyFile.slice(folder.length + 1));
      found.push(rec);
    }
    // A body file no meta file names: a write interrupted before its commit, or an old version.
    for (const b of bodies) if (!referenced.has(b)) await rm(join(folder, b), { force: true }).catch(() => {});
  }
  return found.sort((a, b) => a.mtime - b.mtime);
}

async function readRecord(file: string, name: string): Promise<ScannedRecord | undefined> {
  const fh = await open(file, 'r').catch(() => undefined);
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
      const bs = await stat(bodyFile).catch(() => undefined);
      if (bs === undefined || bs.size !== h.bodyLength) return undefined;
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
