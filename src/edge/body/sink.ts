/**
 * @module edge/body/sink
 * A `Writable` over anything that accepts chunks asynchronously (a cache object writer), so a
 * fetch can `pipeline(origin, compressor, sink)` and get backpressure and error propagation
 * from Node's stream machinery instead of hand-written pumps.
 */
import { Writable } from 'node:stream';

export interface ByteSink {
  write(chunk: Buffer): Promise<void>;
  /** Every byte was written. */
  end(): Promise<void>;
  /** The source failed or was cancelled: drop what was written. */
  abort(err: Error): void;
}

export function sinkWritable(sink: ByteSink): Writable {
  let ended = false;
  return new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      sink.write(chunk).then(() => cb(), cb);
    },
    final(cb) {
      ended = true;
      sink.end().then(() => cb(), cb);
    },
    destroy(err, cb) {
      if (!ended || err) sink.abort(err ?? new Error('the write was cancelled'));
      cb(err);
    },
  });
}
