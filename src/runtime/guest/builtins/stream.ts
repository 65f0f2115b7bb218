/**
 * @module runtime/guest/builtins/stream
 * A deliberately small `stream`: Readable, Writable, Duplex, Transform, PassThrough, pipeline
 * and finished, enough for `http`'s IncomingMessage and for libraries that pipe small bodies.
 * No highWaterMark back-pressure: Lambda@Edge bodies are bounded (spec section 4.1), so data is
 * buffered and delivered on the next microtask.
 */
import type { Require } from './lib/types.js';
import { defer } from './lib/types.js';

type Cb = (err?: Error | null) => void;
type Chunk = any;

export default function factory(_bridge: unknown, require: Require) {
  const EventEmitter = require('events');
  const bufferMod = (): any => require('buffer').Buffer;

  function toChunk(chunk: Chunk, enc: string | undefined, objectMode: boolean): Chunk {
    if (objectMode) return chunk;
    const B = bufferMod();
    if (typeof chunk === 'string') return B.from(chunk, enc || 'utf8');
    if (chunk instanceof Uint8Array && !B.isBuffer(chunk))
      return B.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    return chunk;
  }

  class Stream extends EventEmitter {
    destroyed = false;
    pipe(dest: any): any {
      return Readable.prototype.pipe.call(this, dest);
    }
  }

  class Readable extends Stream {
    readable = true;
    readableEnded = false;
    readableObjectMode: boolean;
    readableFlowing: boolean | null = null;
    #queue: Chunk[] = [];
    #ended = false;
    #scheduled = false;
    #reading = false;
    #decoder: any = null;
    constructor(
      opts: {
        read?: (this: Readable, n: number) => void;
        objectMode?: boolean;
        readableObjectMode?: boolean;
        encoding?: string;
        destroy?: any;
      } = {},
    ) {
      super();
      this.readableObjectMode = Boolean(opts.objectMode ?? opts.readableObjectMode);
      if (opts.read) this._read = opts.read;
      if (opts.destroy) this._destroy = opts.destroy;
      if (opts.encoding) this.setEncoding(opts.encoding);
    }
    _read(_n: number): void {}
    _destroy(err: Error | null, cb: Cb): void {
      cb(err);
    }
    static from(iterable: Iterable<Chunk> | AsyncIterable<Chunk>, opts: { objectMode?: boolean } = {}): Readable {
      const r = new Readable({ objectMode: opts.objectMode ?? true });
      void (async () => {
        try {
          for await (const c of iterable as AsyncIterable<Chunk>) r.push(c);
          r.push(null);
        } catch (e) {
          r.destroy(e as Error);
        }
      })();
      return r;
    }
    push(chunk: Chunk, enc?: string): boolean {
      if (chunk === null) this.#ended = true;
      else if (!this.#ended) this.#queue.push(toChunk(chunk, enc, this.readableObjectMode));
      this.#reading = false;
      this.#schedule();
      return !this.#ended;
    }
    unshift(chunk: Chunk): void {
      this.#queue.unshift(toChunk(chunk, undefined, this.readableObjectMode));
    }
    setEncoding(enc: string): this {
      const { StringDecoder } = require('string_decoder');
      this.#decoder = new StringDecoder(enc);
      return this;
    }
    on(name: string | symbol, fn: (...a: any[]) => void): this {
      super.on(name, fn);
      if (name === 'data' && this.readableFlowing !== false) this.resume();
      if (name === 'readable') this.#schedule();
      return this;
    }
    pause(): this {
      this.readableFlowing = false;
      return this;
    }
    resume(): this {
      this.readableFlowing = true;
      this.#schedule();
      return this;
    }
    isPaused(): boolean {
      return this.readableFlowing === false;
    }
    read(): Chunk {
      if (this.#queue.length === 0) {
        this.#pull();
        return null;
      }
      const items = this.#queue.splice(0);
      if (this.readableObjectMode) {
        this.#queue.push(...items.slice(1));
        return items[0];
      }
      return this.#decode(items.length === 1 ? items[0] : bufferMod().concat(items));
    }
    #decode(chunk: Chunk): Chunk {
      return this.#decoder && typeof chunk !== 'string' ? this.#decoder.write(chunk) : chunk;
    }
    #pull(): void {
      if (this.#ended || this.#reading || this.destroyed) return;
      this.#reading = true;
      this._read(16384);
    }
    #schedule(): void {
      if (this.#scheduled) return;
      this.#scheduled = true;
      defer(() => {
        this.#scheduled = false;
        this.#flow();
      });
    }
    #flow(): void {
      if (this.destroyed) return;
      if (this.readableFlowing) {
        while (this.#queue.length > 0 && this.readableFlowing) this.emit('data', this.#decode(this.#queue.shift()));
      } else if (this.#queue.length > 0 && this.listenerCount('readable') > 0) this.emit('readable');
      if (this.#queue.length === 0 && this.#ended && !this.readableEnded) {
        const tail = this.#decoder?.end();
        if (tail) this.emit('data', tail);
        this.readableEnded = true;
        this.readable = false;
        this.emit('end');
        this.emit('close');
      } else if (this.#queue.length === 0 && this.readableFlowing) this.#pull();
    }
    destroy(err?: Error | null): this {
      if (this.destroyed) return this;
      this.destroyed = true;
      this._destroy(err ?? null, (e) => {
        defer(() => {
          if (e) this.emit('error', e);
          this.emit('close');
        });
      });
      return this;
    }
    override pipe(dest: any, opts: { end?: boolean } = {}): any {
      this.on('data', (c: Chunk) => dest.write(c));
      if (opts.end !== false) this.on('end', () => dest.end());
      dest.emit?.('pipe', this);
      return dest;
    }
    unpipe(): this {
      this.removeAllListeners('data');
      return this;
    }
    async *[Symbol.asyncIterator](): AsyncGenerator<Chunk> {
      const chunks: Chunk[] = [];
      let done = false;
      let failure: unknown = null;
      let wake: (() => void) | null = null;
      const poke = (): void => {
        wake?.();
        wake = null;
      };
      this.on('data', (c: Chunk) => (chunks.push(c), poke()));
      this.on('end', () => ((done = true), poke()));
      this.on('error', (e: unknown) => ((failure = e), poke()));
      for (;;) {
        if (chunks.length > 0) yield chunks.shift();
        else if (failure) throw failure;
        else if (done) return;
        else await new Promise<void>((r) => (wake = r));
      }
    }
  }

  interface WritableOpts {
    write?: (chunk: Chunk, enc: string, cb: Cb) => void;
    final?: (cb: Cb) => void;
    objectMode?: boolean;
    writableObjectMode?: boolean;
    decodeStrings?: boolean;
  }

  /** Writable behaviour, shared by Writable and Duplex (which cannot inherit from both). */
  const writableMethods = {
    write(this: any, chunk: Chunk, enc?: string | Cb, cb?: Cb): boolean {
      if (typeof enc === 'function') [cb, enc] = [enc, undefined];
      if (this.writableEnded) {
        const err = Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
        defer(() => (cb?.(err), this.emit('error', err)));
        return false;
      }
      const c =
        this._decodeStrings === false && typeof chunk === 'string'
          ? chunk
          : toChunk(chunk, enc, this.writableObjectMode);
      this._wqueue.push([c, (enc as string) || 'buffer', cb]);
      this._drain();
      return true;
    },
    end(this: any, chunk?: Chunk, enc?: string | Cb, cb?: Cb): any {
      if (typeof chunk === 'function') [cb, chunk] = [chunk, undefined];
      else if (typeof enc === 'function') [cb, enc] = [enc, undefined];
      if (chunk !== undefined && chunk !== null) this.write(chunk, enc);
      if (cb) this.once('finish', cb);
      this.writableEnded = true;
      this._drain();
      return this;
    },
    _drain(this: any): void {
      if (this._writing || this.destroyed) return;
      const next = this._wqueue.shift();
      if (next) {
        this._writing = true;
        this._write(next[0], next[1], (err?: Error | null) => {
          this._writing = false;
          next[2]?.(err ?? null);
          if (err) return void this.destroy(err);
          defer(() => this._drain());
        });
      } else if (this.writableEnded && !this.writableFinished) {
        this.writableFinished = true;
        this._final((err?: Error | null) =>
          defer(() => {
            if (err) return void this.destroy(err);
            this.emit('finish');
            if (!this.readable) this.emit('close');
          }),
        );
      }
    },
    cork(): void {},
    uncork(): void {},
    setDefaultEncoding(this: any): any {
      return this;
    },
  };

  function initWritable(self: any, opts: WritableOpts): void {
    self.writable = true;
    self.writableEnded = false;
    self.writableFinished = false;
    self.writableObjectMode = Boolean(opts.objectMode ?? opts.writableObjectMode);
    self._decodeStrings = opts.decodeStrings;
    self._wqueue = [];
    self._writing = false;
    if (opts.write) self._write = opts.write;
    if (opts.final) self._final = opts.final;
  }

  class Writable extends Stream {
    constructor(opts: WritableOpts = {}) {
      super();
      initWritable(this, opts);
    }
    _write(_c: Chunk, _e: string, cb: Cb): void {
      cb();
    }
    _final(cb: Cb): void {
      cb();
    }
    destroy(err?: Error | null): this {
      if (this.destroyed) return this;
      this.destroyed = true;
      defer(() => {
        if (err) this.emit('error', err);
        this.emit('close');
      });
      return this;
    }
  }
  Object.assign(Writable.prototype, writableMethods);

  class Duplex extends Readable {
    constructor(opts: WritableOpts & { read?: (this: Readable, n: number) => void; objectMode?: boolean } = {}) {
      super(opts);
      initWritable(this, opts);
    }
    _write(_c: Chunk, _e: string, cb: Cb): void {
      cb();
    }
    _final(cb: Cb): void {
      cb();
    }
  }
  for (const [k, v] of Object.entries(writableMethods))
    Object.defineProperty(Duplex.prototype, k, { value: v, writable: true, configurable: true });

  class Transform extends Duplex {
    constructor(
      opts: WritableOpts & {
        transform?: (c: Chunk, e: string, cb: (err?: Error | null, data?: Chunk) => void) => void;
        flush?: (cb: (err?: Error | null, data?: Chunk) => void) => void;
        objectMode?: boolean;
      } = {},
    ) {
      super(opts);
      if (opts.transform) this._transform = opts.transform;
      if (opts.flush) this._flush = opts.flush;
    }
    _transform(chunk: Chunk, _enc: string, cb: (err?: Error | null, data?: Chunk) => void): void {
      cb(null, chunk);
    }
    _flush(cb: (err?: Error | null, data?: Chunk) => void): void {
      cb();
    }
    override _write(chunk: Chunk, enc: string, cb: Cb): void {
      this._transform(chunk, enc, (err, data) => {
        if (data !== undefined && data !== null) this.push(data);
        cb(err);
      });
    }
    override _final(cb: Cb): void {
      this._flush((err, data) => {
        if (data !== undefined && data !== null) this.push(data);
        this.push(null);
        cb(err);
      });
    }
  }

  class PassThrough extends Transform {}

  function finished(stream: any, cb: Cb): () => void {
    let done = false;
    const once = (err?: Error | null): void => {
      if (done) return;
      done = true;
      cb(err ?? null);
    };
    stream.on('error', once);
    stream.on(stream.readable === false || stream instanceof Writable ? 'finish' : 'end', () => once());
    stream.on('close', () => once());
    return () => void 0;
  }

  function pipeline(...args: any[]): any {
    const cb: Cb = typeof args[args.length - 1] === 'function' ? args.pop() : () => {};
    const streams = args.flat();
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      for (const s of streams) s.destroy?.();
      cb(err);
    };
    for (let i = 0; i < streams.length - 1; i++) streams[i].pipe(streams[i + 1]);
    for (const s of streams) s.on('error', fail);
    finished(streams[streams.length - 1], (err) => (err ? fail(err) : failed || cb(null)));
    return streams[streams.length - 1];
  }

  const promises = {
    pipeline: (...s: any[]) =>
      new Promise<void>((res, rej) => pipeline(...s, (e?: Error | null) => (e ? rej(e) : res()))),
    finished: (s: any) => new Promise<void>((res, rej) => finished(s, (e) => (e ? rej(e) : res()))),
  };
  const mod = Stream as any;
  Object.assign(mod, { Stream, Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, promises });
  return mod;
}
