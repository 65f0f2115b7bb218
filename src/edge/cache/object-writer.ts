/**
 * @module edge/cache/object-writer
 * What every store's `openWrite` shares: a writer over a GrowingBody that checks the announced
 * length, charges bytes of an object of unknown length as they arrive (so it can be detached
 * when it outgrows what the store may keep), and commits or detaches through the store's hooks.
 * A detached object is a stream-through: its readers get every byte, nothing is kept.
 */
import type { GrowingBody } from '../body/index.js';
import type { CacheEntry, ObjectWriter } from './types.js';

/** How far a detached (not kept) object may run ahead of its slowest reader. */
export const STREAM_WINDOW = 1024 * 1024;

export interface WriterHooks {
  /** Still the store's current entry for its key (not deleted, replaced or evicted)? */
  attached(): boolean;
  /** Charge `n` more bytes to an object of unknown length; a string says why it must be detached. */
  grow?(n: number): string | null;
  /**
   * Take the entry out of the store (it stays readable for those who have it); `retained` says
   * whether its body keeps every byte (see `retainRemoved`) or is now a stream-through.
   */
  detach(reason: string, retained: boolean): void;
  /** Every byte arrived and the entry is still attached: make it a stored object. */
  commit(written: number): void | Promise<void>;
  /**
   * An object removed from the store while written (deleted, invalidated, replaced) keeps every
   * byte rather than becoming a stream-through: a shared disk tier's readers in other workers
   * follow its file. Objects the store cannot keep (too large, a write error) always stream through.
   */
  retainRemoved?: boolean;
}

export class StoreWriter implements ObjectWriter {
  readonly entry: CacheEntry;
  readonly body: GrowingBody;
  readonly #expected: number | null;
  readonly #hooks: WriterHooks;
  #detached: string | null = null;

  constructor(entry: CacheEntry, body: GrowingBody, expected: number | null, hooks: WriterHooks) {
    this.entry = entry;
    this.body = body;
    this.#expected = expected;
    this.#hooks = hooks;
  }

  get detached(): string | null {
    if (this.#detached === null && !this.#hooks.attached())
      this.#detach('removed from the cache while being written', this.#hooks.retainRemoved === true);
    return this.#detached;
  }

  #detach(reason: string, retain = false): void {
    if (this.#detached !== null) return;
    this.#detached = reason;
    this.#hooks.detach(reason, retain);
    if (!retain) this.body.stream(STREAM_WINDOW);
  }

  /** The store cannot keep the object after all (its file could not be written): readers read on. */
  letGo(reason: string): void {
    if (this.#detached === null) this.#detach(reason);
    // Removed but retained for its readers: it cannot retain any more either.
    else if (!this.body.windowed) this.body.stream(STREAM_WINDOW);
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.#expected !== null && this.body.written + chunk.length > this.#expected) {
      const e = new Error(`the body is longer than the announced ${this.#expected} bytes`);
      this.abort(e);
      throw e;
    }
    if (this.detached === null && this.#expected === null && this.#hooks.grow) {
      const why = this.#hooks.grow(chunk.length);
      if (why !== null) this.#detach(why);
    }
    await this.body.append(chunk);
  }

  async end(): Promise<void> {
    if (this.#expected !== null && this.body.written !== this.#expected) {
      const e = new Error(`the body ended after ${this.body.written} of ${this.#expected} bytes`);
      this.abort(e);
      throw e;
    }
    try {
      if (this.detached === null) await this.#hooks.commit(this.body.written);
    } catch (e) {
      // Every byte is there for the readers; only keeping it failed (a disk error).
      this.#detach(`not stored: ${(e as Error).message}`);
    } finally {
      this.body.finish();
    }
  }

  abort(err: Error): void {
    this.#detach(`not stored: ${err.message}`);
    this.body.fail(err);
  }
}
