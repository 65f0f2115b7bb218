/**
 * @module edge/body/storing-chunks
 * The bytes of an object the disk tier is storing as it arrives: written to its cache file
 * (FileChunks) until storing stops, then kept in memory for a stream-through's window. Storing
 * stops when the store lets the object go (`stop`: over the budget, invalidated) or when writing
 * the file fails (ENOSPC, EDQUOT, EIO: `onFileError` says so once, and the chunk that failed goes
 * to memory instead), so an origin's body never cuts its viewers off because the disk could not
 * keep it. Bytes already in the file are read from it through the open descriptor, even once the
 * store has removed its name; the descriptor is closed as soon as every reader is past them,
 * which is when a removed file's space comes back.
 */
import { FileChunks } from './chunk-stores.js';
import type { ChunkStore } from './growing.js';

export class StoringChunks implements ChunkStore {
  readonly path: string;
  readonly #file: FileChunks;
  /** Settles before the first file write (the store creates the folder). */
  readonly #ready: Promise<void>;
  readonly #onFileError: (err: Error) => void;
  #storing = true;
  /** Bytes known to be in the file: reads below this go to it. */
  #fileEnd = 0;
  #fileWrite = false;
  #fileClosed = false;
  /** Where readers are all past (windowed mode); the file closes once that reaches #fileEnd. */
  #forgotten = 0;
  /** Bytes after the file's, in the chunks they arrived in, from #memStart. */
  readonly #mem: Buffer[] = [];
  #memStart = 0;

  constructor(path: string, ready: Promise<void>, onFileError: (err: Error) => void) {
    this.path = path;
    this.#file = FileChunks.create(path);
    this.#ready = ready;
    this.#onFileError = onFileError;
  }

  /** Still writing the cache file? */
  get storing(): boolean {
    return this.#storing;
  }

  /** Stop writing the file: later bytes are kept in memory, for the body's window only. */
  stop(): void {
    this.#storing = false;
  }

  async write(pos: number, chunk: Buffer): Promise<void> {
    if (this.#storing) {
      this.#fileWrite = true;
      try {
        await this.#ready;
        await this.#file.write(pos, chunk);
        this.#fileEnd = pos + chunk.length;
        return;
      } catch (e) {
        // A byte of this chunk may have reached the file; none past #fileEnd is ever read from it.
        if (this.#storing) {
          this.#storing = false;
          this.#onFileError(e as Error);
        }
      } finally {
        this.#fileWrite = false;
        this.#closeFileIfPast();
      }
    }
    if (this.#mem.length === 0) this.#memStart = pos;
    this.#mem.push(chunk);
  }

  read(pos: number, max: number): Buffer | Promise<Buffer> {
    if (pos < this.#fileEnd) return this.#file.read(pos, Math.min(max, this.#fileEnd - pos));
    let at = this.#memStart;
    for (const c of this.#mem) {
      if (pos < at + c.length) return c.subarray(pos - at, Math.min(c.length, pos - at + max));
      at += c.length;
    }
    throw new Error(`storing chunks: byte ${pos} is not held`);
  }

  forget(pos: number): void {
    this.#forgotten = Math.max(this.#forgotten, pos);
    while (this.#mem.length > 0 && this.#memStart + this.#mem[0]!.length <= pos) {
      this.#memStart += this.#mem[0]!.length;
      this.#mem.shift();
    }
    this.#closeFileIfPast();
  }

  /** A stream-through whose readers are all past the file's bytes: give its space back. */
  #closeFileIfPast(): void {
    if (this.#storing || this.#fileWrite || this.#fileClosed || this.#forgotten < this.#fileEnd) return;
    this.#fileClosed = true;
    this.#file.release();
  }

  release(): void {
    this.#mem.length = 0;
    this.#fileClosed = true;
    this.#file.release();
  }
}
