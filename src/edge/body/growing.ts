/**
 * @module edge/body/growing
 * A body that is still being written: Varnish's streaming busy object. One writer (the fetch)
 * appends bytes; any number of readers (the viewers of a collapsed fetch, later hits, a Range
 * request) read from any offset as soon as the bytes are there, each at its own pace, with a
 * bounded read window. Where the bytes live is a `ChunkStore` (memory chunks, or a file on the
 * disk tier), so memory per reader is the window, not the object.
 *
 * Two modes. Retained (the default): every byte is kept, because the object is being stored and
 * later readers start from 0. Windowed (`stream(bytes)`): the object will not be kept (it turned
 * out too large, or was invalidated), so bytes every reader has passed are forgotten and the
 * writer waits while it is more than the window ahead of the slowest reader: the origin is then
 * paced by its viewers, and memory stays bounded. A windowed body whose readers have all gone
 * refuses further writes (`NoReadersError`) so the fetch stops pulling from the origin.
 */
import { Readable } from 'node:stream';
import { BodyUsedError, type BodySource, type StreamBody } from './body.js';

/** Where the bytes of a growing body live. Reads are only asked for bytes already written. */
export interface ChunkStore {
  write(pos: number, chunk: Buffer): void | Promise<void>;
  /** Up to `max` bytes from `pos` (at least one byte; may be fewer than max). */
  read(pos: number, max: number): Buffer | Promise<Buffer>;
  /** Windowed mode: bytes before `pos` will not be read again. */
  forget?(pos: number): void;
  /** The writer is done and no reader is left. */
  release(): void;
  /** The file the bytes are in, when another process can open it (the disk tier's FileChunks). */
  readonly path?: string;
}

/** The largest chunk a reader pushes at once. */
export const READ_CHUNK = 256 * 1024;

/** Raised to the writer of a windowed body nobody reads any more. */
export class NoReadersError extends Error {
  readonly code = 'NO_READERS';
  constructor() {
    super('every reader of this body has gone');
  }
}

type State = 'writing' | 'done' | 'failed';

export class GrowingBody implements BodySource {
  readonly #store: ChunkStore;
  readonly #expected: number | null;
  #written = 0;
  #state: State = 'writing';
  #error: Error | null = null;
  readonly #readers = new Set<GrowingReader>();
  #claims = 0;
  #released = false;
  #window = 0;
  #roomWaiter: (() => void) | null = null;
  readonly #settledWaiters: Array<() => void> = [];
  readonly #watchers = new Set<() => void>();
  readonly #onRelease: (() => void) | undefined;

  /** `expected` is the announced length (Content-Length) or null; `onRelease` runs once at the end. */
  constructor(store: ChunkStore, expected: number | null, onRelease?: () => void) {
    this.#store = store;
    this.#expected = expected;
    this.#onRelease = onRelease;
  }

  get length(): number | null {
    return this.#state === 'done' ? this.#written : this.#expected;
  }
  get written(): number {
    return this.#written;
  }
  get state(): State {
    return this.#state;
  }
  get error(): Error | null {
    return this.#error;
  }
  /** Readers open now plus claims not yet opened (for tests and leak checks). */
  get users(): number {
    return this.#readers.size + this.#claims;
  }
  get windowed(): boolean {
    return this.#window > 0;
  }
  /** The file holding the bytes when another process can read it as it grows, else null. */
  get file(): string | null {
    return this.#store.path ?? null;
  }

  // ---- writer side -------------------------------------------------------------------------

  /** Append a chunk; resolves when it is stored (and, windowed, when there is room for it). */
  async append(chunk: Buffer): Promise<void> {
    if (this.#state !== 'writing') throw new Error(`append to a ${this.#state} body`);
    if (this.#window > 0) await this.#room();
    const w = this.#store.write(this.#written, chunk);
    if (w) await w;
    this.#written += chunk.length;
    this.#wake();
  }

  /** Bytes written by someone else (another worker writing the same file). */
  advance(written: number): void {
    if (this.#state !== 'writing' || written <= this.#written) return;
    this.#written = written;
    this.#wake();
  }

  /**
   * Call `fn` after every append (or advance), once the writer finished or failed, and when the
   * body turns windowed, without reading anything: a worker tells the others how far its file is
   * written (edge/workers). Returns the way to stop.
   */
  watch(fn: () => void): () => void {
    this.#watchers.add(fn);
    return () => void this.#watchers.delete(fn);
  }

  /** Resolves once the writer finished or failed (a worker's fetch lease waits for it: edge/workers). */
  settled(): Promise<void> {
    if (this.#state !== 'writing') return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }

  /** Every byte is there. */
  finish(): void {
    if (this.#state !== 'writing') return;
    this.#state = 'done';
    for (const w of this.#settledWaiters.splice(0)) w();
    this.#wake();
    this.#maybeRelease();
  }

  /** The writer failed: readers that have not finished get the error (their viewers a cut-off). */
  fail(err: Error): void {
    if (this.#state !== 'writing') return;
    this.#state = 'failed';
    this.#error = err;
    for (const w of this.#settledWaiters.splice(0)) w();
    this.#wake();
    this.#maybeRelease();
  }

  /** Stop retaining: keep at most `windowBytes` ahead of the slowest reader (see module doc). */
  stream(windowBytes: number): void {
    this.#window = Math.max(1, windowBytes);
    for (const w of this.#watchers) w();
    this.#moved();
  }

  #room(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.#readers.size === 0 && this.#claims === 0) {
          this.#roomWaiter = null;
          reject(new NoReadersError());
        } else if (this.#written - this.#lowest() < this.#window) {
          this.#roomWaiter = null;
          resolve();
        } else this.#roomWaiter = check;
      };
      check();
    });
  }

  #lowest(): number {
    if (this.#claims > 0) return 0;
    let low = this.#written;
    for (const r of this.#readers) low = Math.min(low, r.position);
    return low;
  }

  // ---- reader side -------------------------------------------------------------------------

  handle(): StreamBody {
    this.#claims++;
    let used = false;
    const take = (): boolean => {
      if (used) return false;
      used = true;
      this.#claims--;
      return true;
    };
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const body = this;
    return {
      get length() {
        return body.length;
      },
      open: (start = 0, end = Infinity) => {
        if (!take()) return Readable.from([]).destroy(new BodyUsedError()) as Readable;
        const r = new GrowingReader(this, this.#store, start, end);
        this.#readers.add(r);
        return r;
      },
      discard: () => {
        if (!take()) return;
        this.#moved();
        this.#maybeRelease();
      },
    };
  }

  /** @internal a reader closed */
  readerClosed(r: GrowingReader): void {
    this.#readers.delete(r);
    this.#moved();
    this.#maybeRelease();
  }

  /** @internal a reader advanced: maybe the writer has room now, maybe bytes can be forgotten */
  readerMoved(): void {
    if (this.#window > 0) this.#moved();
  }

  #moved(): void {
    if (this.#window === 0) return;
    this.#store.forget?.(this.#lowest());
    this.#roomWaiter?.();
  }

  #wake(): void {
    for (const r of this.#readers) r.wake();
    for (const w of this.#watchers) w();
  }

  #maybeRelease(): void {
    if (this.#released || this.#state === 'writing' || this.#readers.size > 0 || this.#claims > 0) return;
    this.#released = true;
    this.#store.release();
    this.#onRelease?.();
  }
}

/** One reader of a growing body: reads what is there, waits for more, ends at `end` or the end. */
class GrowingReader extends Readable {
  readonly #body: GrowingBody;
  readonly #store: ChunkStore;
  #pos: number;
  readonly #end: number;
  #reading = false;
  #waiting = false;

  constructor(body: GrowingBody, store: ChunkStore, start: number, end: number) {
    super({ highWaterMark: READ_CHUNK });
    this.#body = body;
    this.#store = store;
    this.#pos = start;
    this.#end = end;
  }

  get position(): number {
    return this.#pos;
  }

  wake(): void {
    if (this.#waiting) {
      this.#waiting = false;
      this.#next();
    }
  }

  override _read(): void {
    this.#next();
  }

  #next(): void {
    if (this.#reading || this.destroyed) return;
    const b = this.#body;
    const last = b.state === 'done' ? Math.min(this.#end, b.written - 1) : this.#end;
    if (this.#pos > last) {
      this.push(null);
      return;
    }
    const avail = b.written - this.#pos;
    if (avail <= 0) {
      if (b.state === 'failed') this.destroy(b.error ?? new Error('the body failed'));
      else this.#waiting = true;
      return;
    }
    const n = Math.min(avail, last - this.#pos + 1, READ_CHUNK);
    let got: Buffer | Promise<Buffer>;
    try {
      got = this.#store.read(this.#pos, n);
    } catch (e) {
      this.destroy(e as Error);
      return;
    }
    if (Buffer.isBuffer(got)) return this.#deliver(got);
    this.#reading = true;
    got.then(
      (buf) => {
        this.#reading = false;
        this.#deliver(buf);
      },
      (e: Error) => {
        this.#reading = false;
        this.destroy(e);
      },
    );
  }

  #deliver(buf: Buffer): void {
    if (this.destroyed) return;
    if (buf.length === 0) {
      this.destroy(new Error('a growing body returned no bytes where bytes were written'));
      return;
    }
    this.#pos += buf.length;
    this.#body.readerMoved();
    // Readable calls _read again when it wants more; one push per call keeps the window bounded.
    this.push(buf);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#body.readerClosed(this);
    cb(err);
  }
}
