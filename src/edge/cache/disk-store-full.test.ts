/**
 * @module edge/cache/disk-store-full.test
 * A cache file that cannot be written (the disk is full): the disk tier gives up storing the
 * object and its readers get every byte anyway, from a window in memory; nothing is kept, not
 * even after a restart; the partial file goes; one log line says why. The full disk is a real
 * one: an 8 MiB tmpfs mounted in a mount namespace (`unshare -m`, which needs root), with the
 * store driven by test/harness/disk-full-child.ts inside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingCommand, needs } from '../../../test/harness/needs.js';

const child = join(import.meta.dirname, '..', '..', '..', 'test', 'harness', 'disk-full-child.ts');
const skip = needs(
  missingCommand('unshare', 'util-linux', 'a small filesystem is mounted in a mount namespace') ||
    (process.getuid?.() === 0 ? false : 'root (mounting a tmpfs in a mount namespace)'),
);

interface Case {
  bytes: number;
  hash: string;
  error: string | null;
  want: string;
  size: number;
  writeError: string | null;
  detached: string | null;
  kept: boolean;
  keptAfterReopen: boolean;
  left: number;
  why: string[];
}

test('ENOSPC while writing a cache file: the viewer gets it whole, nothing is kept, the log says why', { skip }, () => {
  const mnt = mkdtempSync(join(tmpdir(), 'verge-disk-full-'));
  try {
    const r = spawnSync(
      'unshare',
      [
        '-m',
        'sh',
        '-c',
        'mount -t tmpfs -o size=8m tmpfs "$1" && exec "$2" --import tsx "$3" "$1"',
        'sh',
        mnt,
        process.execPath,
        child,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, `the child failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { chunked: Case; announced: Case };
    // Without a Content-Length (20 MiB on 8 MiB), and with one (the disk filled up after the check).
    for (const [name, c] of Object.entries(out)) {
      assert.deepEqual(
        [c.error, c.writeError, c.bytes, c.hash],
        [null, null, c.size, c.want],
        `${name}: the reader got every byte, the fill did not fail`,
      );
      assert.match(c.detached ?? '', /could not be written \(ENOSPC\)/, name);
      assert.equal(c.kept, false, `${name}: not kept`);
      assert.equal(c.keptAfterReopen, false, `${name}: not served after a restart`);
      assert.equal(c.left, 0, `${name}: the partial file was removed`);
      assert.deepEqual(c.why, [c.detached], `${name}: one log line says why`);
    }
  } finally {
    rmSync(mnt, { recursive: true, force: true });
  }
});
