/**
 * @module edge/body/chunk-stores
 * The two places a growing body keeps its bytes: memory chunks (the memory tier's small
 * objects) and a file (the disk tier), plus `fileBody`, the reader of a complete file. File
 * reads are positional (`pread`), so any number of readers share one descriptor while the
 * writer appends, and a reader never holds more than one read chunk. A reader of a complete
 * file reuses the buffers its consumer gives back (`ChunkRecycler`, body.ts).
 */
import { close, fstat, open, read, write } from 'node:fs';
import { Readable } from 'node:stream';
import { oneShotBody, type BodySource, type ChunkRecycler, type StreamBody } from './body.js';
import { READ_CHUNK, type ChunkStore } from './growing.js';

/** Bytes in memory, in the chunks they arrived in. */
export class MemoryChunks implements ChunkStore {
  #chunks: Buffer[] = [];
  /** Offset of #chunks[i] in the body. */
  #offsets: number[] = [];
  #size = 0;
  #base = 0;

  /** Bytes held now (what windowed mode has not forgotten). */
  get held(): number {
    return this.#size - this.#base;
  }

  write(pos: number, chunk: Buffer): void {
    if (pos !== this.#size) throw new Error(`memory chunks: write at ${pos}, expected ${this.#size}`);
    this.#chunks.push(chunk);
    this.#offsets.push(pos);
    this.#size += chunk.length;
  }

  read(pos: number, max: number): Buffer {
    if (pos < this.#base) throw new Error(`memory chunks: byte ${pos} was already forgotten`);
    let lo = 0;
    let hi = this.#offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#offsets[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    const chunk = this.#chunks[lo]!;
    const at = pos - this.#offsets[lo]!;
    return chunk.subarray(at, Math.min(chunk.length, at + max));
  }

  forget(pos: number): void {
    while (this.#chunks.length > 0 && this.#offsets[0]! + this.#chunks[0]!.length <= pos) {
      this.#base = this.#offsets[0]! + this.#chunks[0]!.length;
      this.#chunks.shift();
      this.#offsets.shift();
    }
  }

  /** The whole body as one buffer (the memory tier stores it so). */
  concat(): Buffer {
    if (this.#base !== 0) throw new Error('memory chunks: part of the body was forgotten');
    if (this.#chunks.length !== 1) {
      const whole = Buffer.concat(this.#chunks, this.#size);
      this.#chunks = [whole];
      this.#offsets = [0];
    }
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  release(): void {
    // Buffers go with the last reference; a stored entry may still share them.
  }
}

const openAsync = (path: string, flags: string): Promise<number> =>
  new Promise((res, rej) => open(path, flags, 0o600, (e, fd) => (e ? rej(e) : res(fd))));

/**
 * Bytes in a file. The writer creates it (`create`); readers in other processes open it
 * read-only (`attach`). The descriptor is opened on first use and closed on release.
 */
export class FileChunks implements ChunkStore {
  readonly path: string;
  readonly #flags: string;
  #fd: Promise<number> | null = null;
  #closed = false;

  private constructor(path: string, flags: string) {
    this.path = path;
    this.#flags = flags;
  }

  /** A new file for writing (it must not exist). */
  static create(path: string): FileChunks {
    return new FileChunks(path, 'wx+');
  }

  /** An existing file, read-only. */
  static attach(path: string): FileChunks {
    return new FileChunks(path, 'r');
  }

  #open(): Promise<number> {
    if (this.#closed) return Promise.reject(new Error(`file chunks ${this.path}: released`));
    return (this.#fd ??= openAsync(this.path, this.#flags));
  }

  /** Resolves once the file exists (the writer calls it before announcing the body). */
  async ready(): Promise<void> {
    await this.#open();
  }

  async write(pos: number, chunk: Buffer): Promise<void> {
    const fd = await this.#open();
    let off = 0;
    while (off < chunk.length) {
      const n = await new Promise<number>((res, rej) =>
        write(fd, chunk, off, chunk.length - off, pos + off, (e, w) => (e ? rej(e) : res(w))),
      );
      off += n;
    }
  }

  async read(pos: number, max: number): Promise<Buffer> {
    const fd = await this.#open();
    return preadSome(fd, pos, max);
  }

  release(): void {
    if (this.#closed) return;
    this.#closed = true;
    const fd = this.#fd;
    this.#fd = null;
    void fd?.then(
      (d) => close(d, () => {}),
      () => {},
    );
  }
}

/** Up to `max` bytes at `pos`, into `into` when it is given and large enough. */
function preadSome(fd: number, pos: number, max: number, into?: Buffer): Promise<Buffer> {
  const buf = into !== undefined && into.length >= max ? into : Buffer.allocUnsafe(max);
  return new Promise((res, rej) =>
    read(fd, buf, 0, max, pos, (e, n) => {
      if (e) rej(e);
      else if (n === 0) rej(new Error(`unexpected end of file at byte ${pos}`));
      else res(n === buf.length ? buf : buf.subarray(0, n));
    }),
  );
}

/**
 * A complete file as a body source. Each reader opens the file, checks that its size is the
 * recorded length (a truncated or replaced file is an error before the first byte, never a
 * short body served as complete), reads its range and closes the file.
 */
export function fileBody(path: string, length: number, offset = 0): BodySource {
  return {
    length,
    handle(): StreamBody {
      return oneShotBody(
        length,
        (from, to) => new FileReader(path, offset, length, from, Math.min(to, length - 1)),
        () => {},
      );
    },
  };
}

/** Buffers a file reader keeps for reuse: one being written while the next is read, one spare. */
const SPARE_BUFFERS = 2;

class FileReader extends Readable implements ChunkRecycler {
  readonly #path: string;
  readonly #offset: number;
  readonly #length: number;
  #pos: number;
  readonly #end: number;
  #fd = -1;
  /** Full-size buffers this reader handed out; only those are taken back. */
  readonly #mine = new WeakSet<Buffer>();
  readonly #spare: Buffer[] = [];

  constructor(path: string, offset: number, length: number, from: number, to: number) {
    super({ highWaterMark: READ_CHUNK });
    this.#path = path;
    this.#offset = offset;
    this.#length = length;
    this.#pos = from;
    this.#end = to;
  }

  override _construct(cb: (e?: Error | null) => void): void {
    open(this.#path, 'r', (e, fd) => {
      if (e) return cb(e);
      this.#fd = fd;
      fstat(fd, (e2, st) => {
        if (e2) return cb(e2);
        if (st.size !== this.#offset + this.#length)
          return cb(new Error(`${this.#path}: ${st.size} bytes on disk, ${this.#offset + this.#length} expected`));
        cb();
      });
    });
  }

  override _read(): void {
    if (this.#pos > this.#end) {
      this.push(null);
      return;
    }
    const n = Math.min(READ_CHUNK, this.#end - this.#pos + 1);
    preadSome(this.#fd, this.#offset + this.#pos, n, this.#spare.pop()).then(
      (buf) => {
        this.#pos += buf.length;
        if (buf.length === READ_CHUNK) this.#mine.add(buf);
        this.push(buf);
      },
      (e: Error) => this.destroy(e),
    );
  }

  /** The consumer is done with `chunk` (nothing in this process reads it again): refill it later. */
  recycle(chunk: Buffer): void {
    if (!this.#mine.delete(chunk) || this.#spare.length >= SPARE_BUFFERS || this.destroyed) return;
    this.#spare.push(chunk);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#spare.length = 0;
    if (this.#fd < 0) return cb(err);
    const fd = this.#fd;
    this.#fd = -1;
    close(fd, () => cb(err));
  }
}
