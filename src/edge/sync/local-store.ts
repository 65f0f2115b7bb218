/**
 * @module edge/sync/local-store
 * What a managed edge keeps on disk under its data dir, so it can restart and serve while the
 * control plane is down (DESIGN section 4):
 *
 *   <dataDir>/snapshot/last-known-good.json   the last snapshot applied (as the control plane sent it)
 *   <dataDir>/bundles/<sha256>.zip            function packages, by content hash
 *   <dataDir>/kvs/<sha256>.json               KeyValueStore data, by content hash
 *
 * Every file is written to a temporary name and renamed, so a crash never leaves a half file
 * under a real name; blobs are checked against their hash before they are written and again
 * before they are used, so a corrupted file on disk is fetched again rather than loaded.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { VergeError } from '../../shared/errors.js';
import type { Snapshot } from '../../shared/replication/protocol.js';

const SHA256 = /^[0-9a-f]{64}$/;

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A content hash from the control plane becomes a file name: refuse anything but 64 hex digits. */
export function checkSha(sha: string, what: string): string {
  if (!SHA256.test(sha))
    throw new VergeError(
      'REPLICATION_FAILED',
      `${what}: "${sha.slice(0, 80)}" is not a sha256 (64 lower-case hex digits)`,
    );
  return sha;
}

export class LocalStore {
  readonly dataDir: string;
  readonly lkgPath: string;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
    this.lkgPath = join(dataDir, 'snapshot', 'last-known-good.json');
  }

  bundlePath(sha: string): string {
    return join(this.dataDir, 'bundles', `${checkSha(sha, 'bundle')}.zip`);
  }
  kvsPath(sha: string): string {
    return join(this.dataDir, 'kvs', `${checkSha(sha, 'key-value store')}.json`);
  }

  /** True when the file exists and hashes to `sha` (a corrupted file counts as missing). */
  async has(path: string, sha: string): Promise<boolean> {
    try {
      return sha256Hex(await readFile(path)) === sha;
    } catch {
      return false;
    }
  }

  /** Verify `bytes` against the hash (and size, when known), then write them atomically. */
  async put(path: string, bytes: Buffer, sha: string, what: string, size?: number): Promise<void> {
    const got = sha256Hex(bytes);
    if (got !== sha) {
      const sizeNote =
        size !== undefined && size !== bytes.length
          ? ` (got ${bytes.length} bytes, expected ${size}: truncated or padded)`
          : '';
      throw new VergeError(
        'REPLICATION_FAILED',
        `${what} ${sha.slice(0, 12)} refused: its sha256 is ${got.slice(0, 12)}${sizeNote}`,
        {
          details: { expected: sha, got, bytes: bytes.length, ...(size === undefined ? {} : { size }) },
        },
      );
    }
    await atomicWrite(path, bytes);
  }

  /** The last-known-good snapshot, or null when there is none or it cannot be read. */
  async loadLastKnownGood(): Promise<Snapshot | null> {
    let text: string;
    try {
      text = await readFile(this.lkgPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new VergeError('REPLICATION_FAILED', `cannot read ${this.lkgPath}: ${(e as Error).message}`, { cause: e });
    }
    try {
      return JSON.parse(text) as Snapshot;
    } catch (e) {
      throw new VergeError('REPLICATION_FAILED', `${this.lkgPath} is not JSON: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Mode 0600: a snapshot carries functions' secret env values in plain text. */
  async saveLastKnownGood(s: Snapshot): Promise<void> {
    await atomicWrite(this.lkgPath, Buffer.from(JSON.stringify(s)), 0o600);
  }

  /** Remove blobs no snapshot in `keep` references (old versions pile up otherwise). */
  async prune(keepBundles: ReadonlySet<string>, keepKvs: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const [dir, ext, keep] of [
      ['bundles', '.zip', keepBundles],
      ['kvs', '.json', keepKvs],
    ] as const) {
      let names: string[];
      try {
        names = await readdir(join(this.dataDir, dir));
      } catch {
        continue;
      }
      for (const name of names) {
        if (!name.endsWith(ext) || keep.has(name.slice(0, -ext.length))) continue;
        await rm(join(this.dataDir, dir, name), { force: true });
        removed++;
      }
    }
    return removed;
  }
}

/** Write to a temporary file in the same folder, fsync, then rename over the real name. */
export async function atomicWrite(path: string, bytes: Buffer, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
