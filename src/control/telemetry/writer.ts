/**
 * @module control/telemetry/writer
 * `TelemetryWriter`: the one way batches from PoPs reach the telemetry sink. Batches that arrive
 * together are written in one transaction (group commit: a flood of small batches costs a few
 * transactions, not one each), a write holds at most `maxRecordsPerWrite` records and the writer
 * yields to the event loop between writes, so on SQLite, whose writes run on this thread, a config
 * change waits at most for one write in progress. A PoP's upload is answered when its batch is
 * committed (delivery stays at least once: a PoP that hears nothing sends the batch again, and the
 * sink stores its id once). When more than `maxQueuedRecords` wait, a batch is refused at once with
 * TELEMETRY_BACKLOG (503): the PoP keeps it and sends it again later.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { VergeError } from '../../shared/errors.js';
import type { LogFilter, MetricFilter, StoredLogRecord, StoredMetricPoint } from '../store/types.js';
import { batchSize, type TelemetryBatch, type TelemetrySink } from './sink.js';

export interface TelemetryWriterOptions {
  /** Default 500 (a few milliseconds of SQLite inserts on this thread). */
  maxRecordsPerWrite?: number;
  /** Default 200,000. */
  maxQueuedRecords?: number;
}

interface Pending {
  batch: TelemetryBatch;
  resolve: (fresh: boolean) => void;
  reject: (e: Error) => void;
}

export interface TelemetryWriterStats {
  writes: number;
  batches: number;
  queuedRecords: number;
  refused: number;
}

export class TelemetryWriter {
  readonly #sink: TelemetrySink;
  readonly #maxPerWrite: number;
  readonly #maxQueued: number;
  #queue: Pending[] = [];
  #queued = 0;
  #draining: Promise<void> | undefined;
  #stats = { writes: 0, batches: 0, refused: 0 };

  constructor(sink: TelemetrySink, o: TelemetryWriterOptions = {}) {
    this.#sink = sink;
    this.#maxPerWrite = o.maxRecordsPerWrite ?? 500;
    this.#maxQueued = o.maxQueuedRecords ?? 200_000;
  }

  /** Resolves once the batch is committed: true when stored now, false when its id was stored before. */
  submit(batch: TelemetryBatch): Promise<boolean> {
    const n = batchSize(batch);
    if (this.#queued > 0 && this.#queued + n > this.#maxQueued) {
      this.#stats.refused++;
      return Promise.reject(
        new VergeError(
          'TELEMETRY_BACKLOG',
          `${this.#queued} log records and metric points wait to be written; send batch ${batch.batchId} again later`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject });
      this.#queued += n;
      this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
    });
  }

  queryLogs(f: LogFilter): Promise<StoredLogRecord[]> {
    return this.#sink.queryLogs(f);
  }

  queryPoints(f: MetricFilter): Promise<StoredMetricPoint[]> {
    return this.#sink.queryPoints(f);
  }

  prune(before: number): Promise<number> {
    return this.#sink.prune(before);
  }

  stats(): TelemetryWriterStats {
    return { ...this.#stats, queuedRecords: this.#queued };
  }

  /** Writes what is queued, then closes the sink. */
  async close(): Promise<void> {
    await this.#draining;
    await this.#sink.close();
  }

  async #drain(): Promise<void> {
    // Let the batches that arrive in the same turn join the first write.
    await yieldToLoop();
    while (this.#queue.length > 0) {
      const group: Pending[] = [];
      let records = 0;
      while (this.#queue.length > 0) {
        const n = batchSize(this.#queue[0]!.batch);
        if (group.length > 0 && records + n > this.#maxPerWrite) break;
        group.push(this.#queue.shift()!);
        records += n;
      }
      try {
        const fresh = await this.#sink.write(group.map((p) => p.batch));
        group.forEach((p, i) => p.resolve(fresh[i]!));
      } catch (e) {
        for (const p of group) p.reject(e as Error);
      } finally {
        this.#queued -= records;
        this.#stats.writes++;
        this.#stats.batches += group.length;
      }
      await yieldToLoop();
    }
  }
}
