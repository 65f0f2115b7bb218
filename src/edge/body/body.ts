/**
 * @module edge/body/body
 * Bodies are streams, not buffers (DESIGN section 2). A body is either a Buffer (small things
 * the edge makes or CloudFront itself buffers: generated responses, `includeBody` bodies,
 * small cached objects) or a `StreamBody`: one viewer's claim on bytes that arrive over time
 * (an origin response, a stored object, an object still being stored).
 *
 * The rule that keeps memory and file descriptors bounded: every StreamBody handed out is
 * either opened once or discarded once. `open` returns a Readable with the usual backpressure;
 * `discard` says nobody will read it (a HEAD, a 304, a replaced response), which lets a one-shot
 * origin body release its connection and a stored object forget the reader it reserved.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';

/** One reader's body: open it once (optionally a byte range) or discard it. */
export interface StreamBody {
  /** Bytes in the whole body when known (Content-Length, or a stored object's size). */
  readonly length: number | null;
  /** A reader of bytes `start..end` inclusive (default: all); errors if the source fails mid-way. */
  open(start?: number, end?: number): Readable;
  /** Nobody will read this body. */
  discard(): void;
}

/**
 * A reader that can refill buffers it handed out (a file reader). A consumer that knows a chunk
 * has left the process (an HTTP/1 socket's write callback) gives it back, so a large object is
 * sent through a few buffers instead of one new allocation per chunk, which the garbage
 * collector would pay for. Consumers that keep chunks (collect them, slice them) never give
 * them back and are unaffected.
 */
export interface ChunkRecycler {
  recycle(chunk: Buffer): void;
}

/** The recycler behind a reader, if it has one. */
export function recyclerOf(r: Readable): ChunkRecycler | null {
  return typeof (r as Partial<ChunkRecycler>).recycle === 'function' ? (r as unknown as ChunkRecycler) : null;
}

/** Bytes that can be read many times (a stored object, or one still being stored). */
export interface BodySource {
  readonly length: number | null;
  /** A new per-reader claim on the bytes. */
  handle(): StreamBody;
}

export type Body = Buffer | StreamBody;
export type StoredBody = Buffer | BodySource;

export const EMPTY_BODY: Buffer = Buffer.alloc(0);

export function isStreamBody(b: Body): b is StreamBody {
  return !Buffer.isBuffer(b);
}

/** Length of a body or a stored body when known. */
export function bodyLength(b: Body | StoredBody): number | null {
  return b.length;
}

/** Give up a body that will not be read (a no-op for buffers). */
export function discardBody(b: Body | null | undefined): void {
  if (b && !Buffer.isBuffer(b)) b.discard();
}

/** A per-reader body for a stored body (buffers are shared as they are: they are immutable). */
export function bodyFor(b: StoredBody): Body {
  return Buffer.isBuffer(b) ? b : b.handle();
}

/** Thrown (as a stream error or rejection) when a body is read a second time. */
export class BodyUsedError extends Error {
  constructor() {
    super('this body was already opened or discarded');
  }
}

/**
 * A one-shot body over a source opened on demand: `start` runs on `open` (and is given the
 * range, so a source that can seek does), `cancel` on `discard`. Ranges a source cannot seek
 * are cut from its stream (see `sliceStream`).
 */
export function oneShotBody(
  length: number | null,
  start: (from: number, to: number) => Readable,
  cancel: () => void,
): StreamBody {
  let used = false;
  return {
    length,
    open(from = 0, to = Infinity) {
      if (used) return Readable.from([]).destroy(new BodyUsedError()) as Readable;
      used = true;
      return start(from, to);
    },
    discard() {
      if (used) return;
      used = true;
      cancel();
    },
  };
}

/** A one-shot body over a stream that is already flowing (an origin response, a compressor). */
export function streamBody(source: Readable, length: number | null): StreamBody {
  return oneShotBody(
    length,
    (from, to) => (from === 0 && to === Infinity ? source : sliceStream(source, from, to)),
    () => source.destroy(),
  );
}

/**
 * Bytes `from..to` (inclusive) of a stream that cannot seek: earlier bytes are dropped, and the
 * source is destroyed once `to` has passed so it stops reading (an origin connection is freed).
 */
export function sliceStream(source: Readable, from: number, to: number): Readable {
  let pos = 0;
  const slice = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      const start = pos;
      pos += chunk.length;
      const a = Math.max(0, from - start);
      const b = Math.min(chunk.length, to + 1 - start);
      if (b > a) this.push(a === 0 && b === chunk.length ? chunk : chunk.subarray(a, b));
      if (pos > to) {
        this.push(null);
        source.unpipe(slice);
        source.destroy();
      }
      cb();
    },
  });
  source.on('error', (e) => slice.destroy(e));
  slice.on('close', () => {
    if (!source.destroyed && !source.readableEnded) source.destroy();
  });
  return source.pipe(slice);
}

/** A body that is a buffer but must be handed out as a StreamBody (tests, adapters). */
export function bufferStreamBody(buf: Buffer): StreamBody {
  return oneShotBody(
    buf.length,
    (from, to) => Readable.from([buf.subarray(from, Math.min(buf.length, to + 1))], { objectMode: false }),
    () => {},
  );
}

/** Thrown by `readBody` when a body exceeds the caller's limit. */
export class BodyTooLargeError extends Error {
  readonly code = 'BODY_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`the body exceeds ${limit} bytes`);
  }
}

/**
 * Read a whole body into memory, up to `limit` bytes (CloudFront's own buffering: generated
 * responses, `includeBody`). Past the limit the stream is destroyed and BodyTooLargeError thrown.
 */
export async function readBody(b: Body, limit: number): Promise<Buffer> {
  if (Buffer.isBuffer(b)) {
    if (b.length > limit) throw new BodyTooLargeError(limit);
    return b;
  }
  if (b.length !== null && b.length > limit) {
    b.discard();
    throw new BodyTooLargeError(limit);
  }
  const r = b.open();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of r) {
    const chunk = c as Buffer;
    size += chunk.length;
    if (size > limit) {
      r.destroy();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
