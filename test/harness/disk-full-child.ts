/**
 * @module test/harness/disk-full-child
 * Run by src/edge/cache/disk-store-full.test.ts inside a mount namespace, with argv[2] a small
 * tmpfs (so ENOSPC is the real filesystem's, not a mock). Streams objects into a DiskStore there
 * until the filesystem is full, reading each as it is written, and prints one JSON line: per
 * case what the reader got, why the object was let go, whether anything was kept (before and
 * after reopening the store), what is left in the folder, and the log lines that say why.
 */
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { memoryLogger } from '../../src/shared/log.js';
import { bodyFor } from '../../src/edge/body/index.js';
import { DiskStore } from '../../src/edge/cache/disk-store.js';
import { metaFor, pattern } from '../../src/edge/cache/store-contract-stream.js';
import { dirBytes } from './dir-bytes.js';

const MiB = 1024 * 1024;
const dir = join(process.argv[2]!, 'cache');

async function hashOf(r: Readable): Promise<{ bytes: number; hash: string; error: string | null }> {
  const h = createHash('sha256');
  let bytes = 0;
  try {
    for await (const c of r) {
      h.update(c as Buffer);
      bytes += (c as Buffer).length;
    }
    return { bytes, hash: h.digest('hex'), error: null };
  } catch (e) {
    return { bytes, hash: '', error: String(e) };
  }
}

/** Stream `size` bytes as `path` (announced or not); `midway` runs after the first MiB. */
async function streamCase(path: string, size: number, announced: boolean, midway?: () => void) {
  const logger = memoryLogger();
  const s = await DiskStore.open({ dir, maxBytes: 256 * MiB, reserveBytes: 0, logger });
  const data = pattern(size, size & 0xff);
  const w = s.openWrite(metaFor(path), announced ? size : null);
  if ('refused' in w) return { refused: w.refused };
  const b = bodyFor(w.entry.body);
  if (Buffer.isBuffer(b)) throw new Error('a growing body was expected');
  const read = hashOf(b.open());
  let writeError: string | null = null;
  try {
    for (let i = 0; i < size; i += 65_536) {
      await w.write(data.subarray(i, i + 65_536));
      if (i === MiB) midway?.();
    }
    await w.end();
  } catch (e) {
    writeError = String(e);
  }
  const got = await read;
  const kept = (await s.getAsync(w.entry.key)) !== undefined;
  await s.close();
  const again = await DiskStore.open({ dir, maxBytes: 256 * MiB, reserveBytes: 0 });
  const keptAfterReopen = (await again.getAsync(w.entry.key)) !== undefined;
  await again.close();
  return {
    ...got,
    want: createHash('sha256').update(data).digest('hex'),
    size,
    writeError,
    detached: w.detached,
    kept,
    keptAfterReopen,
    left: dirBytes(dir),
    why: logger.lines.filter((l) => l.msg === 'cache object not stored; streamed through').map((l) => l['reason']),
  };
}

const filler = join(process.argv[2]!, 'filler');
const chunked = await streamCase('/chunked', 20 * MiB, false);
// Announced and checked against the free space when opened; the disk fills up after that.
const announced = await streamCase('/announced', 6 * MiB, true, () => {
  try {
    writeFileSync(filler, Buffer.alloc(16 * MiB));
  } catch {
    // ENOSPC part-way: the filler took what was left, which is the point.
  }
});
rmSync(filler, { force: true });
process.stdout.write(JSON.stringify({ chunked, announced }) + '\n');
