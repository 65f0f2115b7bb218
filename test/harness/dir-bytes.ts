/**
 * @module test/harness/dir-bytes
 * What a folder holds on disk: the bytes of every file under it, read while an edge may be
 * writing and removing files there (the disk-budget tests sample the cache folder during a
 * transfer, in-process and in spawned edges alike).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of every file under `dir` (0 while it does not exist; a file removed mid-walk counts 0). */
export function dirBytes(dir: string): number {
  let n = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    try {
      n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
    } catch {
      // removed between the listing and the stat
    }
  }
  return n;
}
