/**
 * @module control/telemetry/sink-contract
 * The contract every telemetry sink passes (SQLite file, PostgreSQL pool): a batch id is stored
 * once per PoP and kind however often it is sent (in one write, in later writes, and from two
 * replicas at once), logs and points filter as `GET /logs` and `GET /metrics` ask, and retention
 * forgets records and batch ids together. Run it from a test file: `telemetrySinkContract(name, target)`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogRecord, MetricPoint } from '../../shared/replication/protocol.js';
import type { TelemetryBatch, TelemetrySink } from './sink.js';

export interface SinkTarget {
  /** Opens one more sink on the same storage (a replica). */
  open(): Promise<TelemetrySink>;
  cleanup(): Promise<void>;
}

const T = 1_700_000_000_000;
const rec = (o: Partial<LogRecord> = {}): LogRecord => ({
  type: 'function',
  time: T,
  pop: 'p1',
  requestId: 'r1',
  message: 'hi',
  functionName: 'f',
  status: 200,
  fields: { n: 1 },
  ...o,
});
const logs = (batchId: string, records: LogRecord[], pop = 'p1'): TelemetryBatch => ({
  kind: 'logs',
  batchId,
  pop,
  at: T,
  records,
});

export function telemetrySinkContract(name: string, make: () => Promise<SinkTarget> | SinkTarget): void {
  describe(`telemetry sink contract: ${name}`, () => {
    let target: SinkTarget;
    let a: TelemetrySink;
    let b: TelemetrySink;
    before(async () => {
      target = await make();
      a = await target.open();
      b = await target.open();
    });
    after(async () => {
      await a.close();
      await b.close();
      await target.cleanup();
    });

    test('a resent batch id is stored once; ids are per PoP and kind', async () => {
      const batch = logs('b1', [rec({ requestId: 'once' })]);
      assert.deepEqual(await a.write([batch]), [true]);
      assert.deepEqual(await a.write([batch]), [false], 'sent again later');
      assert.deepEqual(await a.write([logs('b2', [rec({ requestId: 'twice-in-one' })]), logs('b2', [rec()])]), [
        true,
        false,
      ]);
      assert.deepEqual(await a.write([logs('b1', [rec({ requestId: 'other-pop', pop: 'p2' })], 'p2')]), [true]);
      const point: MetricPoint = {
        time: T,
        intervalMs: 1000,
        kind: 'function',
        labels: { name: 'f' },
        counters: { n: 1 },
      };
      assert.deepEqual(await a.write([{ kind: 'metrics', batchId: 'b1', pop: 'p1', at: T, points: [point] }]), [true]);
      const stored = await a.queryLogs({ limit: 100 });
      assert.deepEqual(stored.map((r) => r.requestId).sort(), ['once', 'other-pop', 'twice-in-one']);
    });

    test('two replicas given the same batch at once store it once', async () => {
      const batch = logs(
        'race',
        [rec({ requestId: 'race-1', pop: 'p9' }), rec({ requestId: 'race-2', pop: 'p9' })],
        'p9',
      );
      const answers = await Promise.all([a.write([batch]), b.write([batch])]);
      assert.deepEqual(answers.flat().sort(), [false, true]);
      assert.equal((await b.queryLogs({ pop: 'p9', limit: 100 })).length, 2);
    });

    test('logs and points filter; retention forgets records and batch ids', async () => {
      const r1 = rec({ time: T + 10, requestId: 'f1', functionName: 'flt', pop: 'p3' });
      const r2 = rec({ time: T + 11, requestId: 'f2', functionName: 'other', pop: 'p3' });
      await a.write([logs('flt', [r1, r2], 'p3')]);
      const got = await a.queryLogs({ function: 'flt', limit: 10 });
      assert.deepEqual(
        got.map(({ id: _id, ...r }) => r),
        [r1],
      );
      const tail = await a.queryLogs({ pop: 'p3', afterId: got[0]!.id, limit: 10 });
      assert.deepEqual(
        tail.map((r) => r.requestId),
        ['f2'],
      );
      const point: MetricPoint = { time: T + 10, intervalMs: 1000, kind: 'distribution', labels: { distribution: 'D1' }, counters: { requests: 2 } }; // prettier-ignore
      await b.write([{ kind: 'metrics', batchId: 'm-flt', pop: 'p3', at: T + 10, points: [point] }]);
      assert.deepEqual(
        await a.queryPoints({ kind: 'distribution', since: T, until: T + 11, labels: { distribution: 'D1' } }),
        [{ ...point, pop: 'p3' }],
      );
      assert.ok((await a.prune(T + 100)) >= 3, 'everything written so far is older');
      assert.deepEqual(await a.queryLogs({ limit: 10 }), []);
      assert.deepEqual(await a.write([logs('b1', [rec({ time: T + 200 })])]), [true], 'a pruned batch id is forgotten');
    });
  });
}
