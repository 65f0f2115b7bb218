// TelemetryWriter over a real SQLite telemetry sink: batches that arrive together share one
// transaction, a write holds a bounded number of records, a resent batch is stored once, and a
// backlog past its bound refuses a batch with TELEMETRY_BACKLOG (nothing stored) until it drains.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogRecord } from '../../shared/replication/protocol.js';
import { openSqliteTelemetrySink } from '../store/sqlite/telemetry-sink.js';
import type { TelemetryBatch } from './sink.js';
import { TelemetryWriter } from './writer.js';

const dir = mkdtempSync(join(tmpdir(), 'verge-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const rec = (i: number): LogRecord => ({
  type: 'access',
  time: 1000 + i,
  pop: 'p1',
  requestId: `r${i}`,
  message: 'GET /',
});
const batch = (id: string, n: number): TelemetryBatch => ({
  kind: 'logs',
  batchId: id,
  pop: 'p1',
  at: 1000,
  records: Array.from({ length: n }, (_, i) => rec(i)),
});

test('batches that arrive together are written in few transactions of bounded size; a resent one is stored once', async () => {
  const w = new TelemetryWriter(openSqliteTelemetrySink(join(dir, 'group.db')), { maxRecordsPerWrite: 100 });
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => w.submit(batch(`b${i}`, 10))));
  assert.deepEqual(answers, Array(40).fill(true));
  assert.equal(w.stats().writes, 4, '400 records, at most 100 a write');
  assert.equal(await w.submit(batch('b7', 10)), false, 'b7 again');
  assert.equal((await w.queryLogs({ limit: 10_000 })).length, 400);
  await w.close();
});

test('a backlog past its bound refuses a batch at once and takes it again once drained', async () => {
  const w = new TelemetryWriter(openSqliteTelemetrySink(join(dir, 'backlog.db')), { maxQueuedRecords: 10 });
  const first = w.submit(batch('a', 8));
  await assert.rejects(w.submit(batch('b', 5)), (e: Error & { code?: string }) => e.code === 'TELEMETRY_BACKLOG');
  assert.equal(await first, true);
  assert.equal(await w.submit(batch('b', 5)), true, 'sent again after the backlog drained');
  assert.equal(w.stats().refused, 1);
  assert.equal((await w.queryLogs({ limit: 100 })).length, 13);
  await w.close();
});
