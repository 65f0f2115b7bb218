/**
 * @module edge/cache/store-contract.test
 * Runs the CacheStore contract against every store: memory, disk, and memory-over-disk.
 */
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheStoreContract } from './store-contract.js';
import { MemoryStore } from './memory-store.js';
import { DiskStore } from './disk-store.js';
import { TieredStore } from './tiered-store.js';

const root = mkdtempSync(join(tmpdir(), 'verge-cache-contract-'));
let n = 0;
after(() => rmSync(root, { recursive: true, force: true }));

cacheStoreContract('memory', async (o) => new MemoryStore(o));

cacheStoreContract('disk', async (o) => DiskStore.open({ dir: join(root, `disk-${n++}`), ...o }));

cacheStoreContract('tiered', async (o) => {
  // A third of the budget in memory, the rest on disk: together they honour o.maxBytes.
  const memoryBytes = Math.floor(o.maxBytes / 3);
  const diskOpts = { dir: join(root, `tiered-${n++}`), maxBytes: o.maxBytes - memoryBytes };
  const disk = await DiskStore.open(
    o.maxEntryBytes === undefined ? diskOpts : { ...diskOpts, maxEntryBytes: o.maxEntryBytes },
  );
  const opts = { memoryBytes, disk };
  return new TieredStore(o.maxEntryBytes === undefined ? opts : { ...opts, memoryMaxEntryBytes: o.maxEntryBytes });
});
