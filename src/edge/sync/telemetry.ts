/**
 * @module edge/sync/telemetry
 * Ships an edge's function logs, access logs and metric points to the control plane
 * (`POST /api/v1/edge/logs` and `/metrics`, src/shared/replication/protocol.ts). Taps never block
 * the request path: they append to an in-memory buffer. A flush runs every `flushMs` (default
 * 1 s) or as soon as `maxBatch` records wait. A batch keeps its uuid until the control plane
 * takes it (delivery is at least once; the control plane stores batches idempotently). While
 * the control plane is unreachable the buffer is bounded, in records and in characters (a
 * function may log 256 K characters a line): the oldest records are dropped and counted. A batch
 * is cut at `maxBatchBytes` characters so its JSON stays well under the control plane's body
 * limit (72 MiB, and a character can take 6 bytes escaped), and a batch the control plane
 * refuses outright (400, 413: it will never take it) is dropped and counted, not resent forever
 * ahead of everything logged after it.
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../shared/clock.js';
import { toVergeError } from '../../shared/errors.js';
import type { LogFields, Logger, LogLevel } from '../../shared/log.js';
import type { LogBatch, LogRecord, MetricBatch, MetricPoint } from '../../shared/replication/protocol.js';
import type { ControlClient } from './control-client.js';
import { MetricAggregator, type InvocationSample } from './metrics.js';

export interface TelemetryOptions {
  client: Pick<ControlClient, 'logs' | 'metrics'> & Partial<Pick<ControlClient, 'failover'>>;
  pop: string;
  logger: Logger;
  clock?: Clock;
  flushMs?: number;
  /** Records per log batch, and the count that triggers an early flush (default 500). */
  maxBatch?: number;
  /** Log records kept while the control plane is unreachable (default 10,000). */
  maxBuffer?: number;
  /** Characters of log records kept while unreachable (default 32 Mi; see recordSize). */
  maxBufferBytes?: number;
  /** Characters per log batch (default 4 Mi: at most 24 MiB of JSON even if all need escaping). */
  maxBatchBytes?: number;
  /** Metric points kept while unreachable (default 5,000). */
  maxPoints?: number;
  metricsIntervalMs?: number;
}

export interface TelemetryStats {
  shippedRecords: number;
  shippedPoints: number;
  droppedRecords: number;
  droppedPoints: number;
  buffered: number;
  /** Characters the buffered records hold (recordSize). */
  bufferedBytes: number;
  failedFlushes: number;
}

/** Statuses that mean the control plane will never take this batch, however often it is sent. */
const REFUSED = new Set([400, 413]);

/**
 * A record's size in characters, roughly what it costs held and sent: its strings (a function's
 * message dominates) plus a fixed allowance for names and numbers. Cheap: taps run per request.
 */
export function recordSize(r: Pick<LogRecord, 'message' | 'requestId' | 'fields'>): number {
  let n = 256 + r.message.length + r.requestId.length;
  if (r.fields)
    for (const k in r.fields) {
      const v = r.fields[k];
      n += k.length + (typeof v === 'string' ? v.length : 16);
    }
  return n;
}

export class Telemetry {
  readonly metrics: MetricAggregator;
  readonly #o: Required<Omit<TelemetryOptions, 'clock' | 'metricsIntervalMs'>> & { clock: Clock };
  #records: LogRecord[] = [];
  #recordBytes = 0;
  #retryBytes = 0;
  #points: MetricPoint[] = [];
  #logRetry: LogBatch | null = null;
  #metricRetry: MetricBatch | null = null;
  #timer: NodeJS.Timeout | null = null;
  #early = false;
  #flushing: Promise<void> | null = null;
  #queued: Promise<void> | null = null;
  #failing = false;
  #stats: TelemetryStats = {
    shippedRecords: 0,
    shippedPoints: 0,
    droppedRecords: 0,
    droppedPoints: 0,
    buffered: 0,
    bufferedBytes: 0,
    failedFlushes: 0,
  };

  constructor(opts: TelemetryOptions) {
    const clock = opts.clock ?? systemClock;
    this.#o = {
      flushMs: 1000,
      maxBatch: 500,
      maxBuffer: 10_000,
      maxBufferBytes: 32 * 1024 * 1024,
      maxBatchBytes: 4 * 1024 * 1024,
      maxPoints: 5000,
      ...opts,
      clock,
    };
    this.metrics = new MetricAggregator(clock, opts.metricsIntervalMs ?? 10_000);
  }

  stats(): TelemetryStats {
    return {
      ...this.#stats,
      buffered: this.#records.length + (this.#logRetry?.records.length ?? 0),
      bufferedBytes: this.#recordBytes + this.#retryBytes,
    };
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.flush(), this.#o.flushMs);
    this.#timer.unref();
  }

  /** Stop the timer and try once more to ship what is buffered. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#flushing;
    await this.flush();
  }

  /** Tap for FunctionHost's per-invocation records. */
  onInvoke = (r: InvocationSample): void => {
    this.metrics.invocation(r);
  };

  /** Tap for access-log records (the edge's CloudFront-style fields). */
  onAccessLog = (rec: Record<string, unknown>): void => {
    const status = Number(rec['sc-status'] ?? 0);
    const dist =
      typeof rec['distribution-id'] === 'string' && rec['distribution-id'] !== '-' ? rec['distribution-id'] : undefined;
    const result = String(rec['x-edge-result-type'] ?? '');
    if (dist) {
      const latency = rec['origin-latency-ms'];
      this.metrics.request({
        distributionId: dist,
        status,
        bytes: Number(rec['sc-bytes'] ?? 0),
        resultType: result,
        ...(typeof latency === 'number' ? { originLatencyMs: latency } : {}),
      });
    }
    const host = String(rec['cs(Host)'] ?? '');
    this.#push({
      type: 'access',
      time: this.#o.clock.now(),
      pop: this.#o.pop,
      requestId: String(rec['x-edge-request-id'] ?? ''),
      ...(dist ? { distributionId: dist } : {}),
      status,
      message: `${String(rec['cs-method'])} ${host}${String(rec['cs-uri-stem'] ?? '')} ${status} ${result}`,
      fields: rec,
    });
  };

  /** A logger that writes to `base` and also ships the function host's `function-log` / `function-error` lines. */
  teeLogger(base: Logger, inherited: LogFields = {}): Logger {
    return {
      log: (level, msg, fields) => {
        base.log(level, msg, fields);
        const type = fields?.type ?? inherited.type;
        if (type === 'function-log' || type === 'function-error')
          this.#functionLine(level, msg, { ...inherited, ...fields });
      },
      child: (fields) => this.teeLogger(base.child(fields), { ...inherited, ...fields }),
    };
  }

  #functionLine(level: LogLevel, msg: string, f: LogFields): void {
    const logTime = typeof f.logTime === 'string' ? Date.parse(f.logTime) : NaN;
    const str = (k: string) => (typeof f[k] === 'string' ? { [k]: f[k] as string } : {});
    const rec: LogRecord = {
      type: f.type === 'function-error' ? 'function-error' : 'function',
      time: Number.isFinite(logTime) ? logTime : this.#o.clock.now(),
      pop: this.#o.pop,
      requestId: typeof f.requestId === 'string' ? f.requestId : '',
      ...str('distributionId'),
      ...str('functionName'),
      ...str('functionVersion'),
      ...str('eventType'),
      level,
      message: msg,
      fields: {
        ...(f.consoleLevel ? { consoleLevel: f.consoleLevel } : {}),
        ...(f.errorCode ? { errorCode: f.errorCode } : {}),
      },
    };
    this.#push(rec);
  }

  #push(r: LogRecord): void {
    this.#records.push(r);
    this.#recordBytes += recordSize(r);
    let over = this.#records.length + (this.#logRetry?.records.length ?? 0) - this.#o.maxBuffer;
    if (over > 0) {
      this.#stats.droppedRecords += over;
      // The unsent batch holds the oldest records: drop from it first (it keeps its id; the
      // control plane ignores a batch id it already stored, so a shorter resend is harmless).
      if (this.#logRetry) over -= this.#dropRetried(over);
      this.#dropOldest(over);
    }
    // Over the characters' bound: oldest first again, but never the record just logged.
    while (this.#recordBytes + this.#retryBytes > this.#o.maxBufferBytes && this.#records.length > 1) {
      this.#stats.droppedRecords++;
      if (this.#logRetry?.records.length) this.#dropRetried(1);
      else this.#dropOldest(1);
    }
    const full = this.#records.length >= this.#o.maxBatch || this.#recordBytes >= this.#o.maxBatchBytes;
    if (full && !this.#early && this.#timer) {
      this.#early = true;
      setImmediate(() => void this.flush());
    }
  }

  #dropOldest(n: number): void {
    for (const r of this.#records.splice(0, n)) this.#recordBytes -= recordSize(r);
  }

  #dropRetried(n: number): number {
    const gone = this.#logRetry!.records.splice(0, n);
    for (const r of gone) this.#retryBytes -= recordSize(r);
    return gone.length;
  }

  /** The next batch: up to maxBatch records and maxBatchBytes characters (at least one record). */
  #nextBatch(): LogBatch {
    let n = 0;
    let bytes = 0;
    while (n < this.#records.length && n < this.#o.maxBatch) {
      const size = recordSize(this.#records[n]!);
      if (n > 0 && bytes + size > this.#o.maxBatchBytes) break;
      bytes += size;
      n++;
    }
    this.#recordBytes -= bytes;
    this.#retryBytes = bytes;
    return { batchId: randomUUID(), pop: this.#o.pop, records: this.#records.splice(0, n) };
  }

  /** Ship what is waiting: the retried batch first, then new ones. Never throws. */
  flush(): Promise<void> {
    // One in flight may have drained before the caller's records arrived: queue one more after it.
    if (this.#flushing) {
      return (this.#queued ??= this.#flushing.then(() => {
        this.#queued = null;
        return this.flush();
      }));
    }
    this.#early = false;
    this.#flushing = this.#flushOnce().finally(() => (this.#flushing = null));
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    this.#points.push(...this.metrics.drain());
    if (this.#points.length > this.#o.maxPoints) {
      const over = this.#points.length - this.#o.maxPoints;
      this.#points.splice(0, over);
      this.#stats.droppedPoints += over;
    }
    try {
      for (let i = 0; i < 20; i++) {
        if (!this.#logRetry && this.#records.length > 0) this.#logRetry = this.#nextBatch();
        if (!this.#logRetry) break;
        const batch = this.#logRetry;
        if (await this.#refused(() => this.#o.client.logs(batch), batch.records.length, 'log records'))
          this.#stats.droppedRecords += batch.records.length;
        else this.#stats.shippedRecords += batch.records.length;
        this.#logRetry = null;
        this.#retryBytes = 0;
      }
      if (!this.#metricRetry && this.#points.length > 0) {
        this.#metricRetry = { batchId: randomUUID(), pop: this.#o.pop, points: this.#points.splice(0, 1000) };
      }
      if (this.#metricRetry) {
        const batch = this.#metricRetry;
        if (await this.#refused(() => this.#o.client.metrics(batch), batch.points.length, 'metric points'))
          this.#stats.droppedPoints += batch.points.length;
        else this.#stats.shippedPoints += batch.points.length;
        this.#metricRetry = null;
      }
      if (this.#failing)
        this.#o.logger.log('info', 'telemetry delivery resumed', { dropped: this.#stats.droppedRecords });
      this.#failing = false;
    } catch (e) {
      this.#stats.failedFlushes++;
      // A PoP's workers ship telemetry on clients of their own: each moves off a down replica.
      const moved = this.#o.client.failover?.(e);
      if (moved?.first)
        this.#o.logger.log('warn', `control plane ${moved.from} failed; moving to ${moved.to}`, {
          error: toVergeError(e).message,
        });
      else if (!this.#failing)
        this.#o.logger.log('warn', 'telemetry not delivered; buffering', { error: toVergeError(e).message });
      this.#failing = true;
    }
  }

  /**
   * Send one batch. True when the control plane refused it for good (400, 413): the caller drops
   * it. Any other failure throws, and the batch is sent again on the next flush.
   */
  async #refused(send: () => Promise<void>, count: number, what: string): Promise<boolean> {
    try {
      await send();
      return false;
    } catch (e) {
      const status = (toVergeError(e).details as { status?: number } | undefined)?.status;
      if (status === undefined || !REFUSED.has(status)) throw e;
      this.#o.logger.log('warn', `telemetry batch refused by the control plane; ${count} ${what} dropped`, {
        status,
        error: toVergeError(e).message,
      });
      return true;
    }
  }
}
